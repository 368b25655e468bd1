// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ClusterRegistry} from "./ClusterRegistry.sol";
import "./DdcErrors.sol";

/// @notice Storage nodes, their bonds and their cluster membership.
///
/// Life of a node: register (Idle) -> bond -> joinCluster (Active) <-> chill (Chilled)
/// -> unbond (Unbonding: out of placement, stake still slashable) -> leave after the
/// cluster's unbonding delay (bond returned, back to Idle). Only Active nodes receive
/// data; the delay is the time the cluster has to move a leaving node's shards away.
contract NodeRegistry is ReentrancyGuard, AccessControl {
    using SafeERC20 for IERC20;

    /// Granted to the era settlement contract once it exists; nobody holds it at deploy.
    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");

    uint256 public constant MAX_URL_BYTES = 256;
    uint256 public constant MAX_ZONE_BYTES = 64;

    enum NodeStatus {
        None,
        Idle,
        Active,
        Chilled,
        Unbonding
    }

    struct Node {
        address provider;
        uint32 clusterId; // 0 while in no cluster
        NodeStatus status;
        uint64 capacity; // bytes offered
        uint128 bond;
        uint64 unlockAt; // when an Unbonding node may leave
        string url;
        string zone;
    }

    struct NodeInfo {
        bytes32 nodeKey;
        Node node;
    }

    IERC20 public immutable token;
    ClusterRegistry public immutable clusters;

    /// Sum of all bonds: equals this contract's token balance (tokens sent here by mistake aside).
    uint256 public totalBonded;

    mapping(bytes32 => Node) private _nodes;
    mapping(uint32 => bytes32[]) private _members;
    mapping(bytes32 => uint256) private _memberSlot; // index + 1 in _members[clusterId]

    event NodeRegistered(bytes32 indexed nodeKey, address indexed provider, string url, string zone, uint64 capacity);
    // Membership events put the cluster id first so one topic filter follows a whole cluster.
    event NodeUpdated(uint32 indexed clusterId, bytes32 indexed nodeKey, string url, string zone, uint64 capacity);
    event NodeBonded(bytes32 indexed nodeKey, uint256 amount, uint256 total);
    event NodeJoined(uint32 indexed clusterId, bytes32 indexed nodeKey);
    event NodeChilled(uint32 indexed clusterId, bytes32 indexed nodeKey);
    event NodeActivated(uint32 indexed clusterId, bytes32 indexed nodeKey);
    event NodeUnbonding(uint32 indexed clusterId, bytes32 indexed nodeKey, uint256 amount, uint64 unlockAt);
    event NodeLeft(uint32 indexed clusterId, bytes32 indexed nodeKey, uint256 amount);
    event NodeSlashed(uint32 indexed clusterId, bytes32 indexed nodeKey, uint256 amount, address recipient, bytes32 reason);

    constructor(IERC20 token_, ClusterRegistry clusters_, address admin) {
        if (address(token_) == address(0) || address(clusters_) == address(0) || admin == address(0)) revert ZeroAddress();
        token = token_;
        clusters = clusters_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @param nodeKey the node's Ed25519 public key: its identity on the data plane.
    function registerNode(bytes32 nodeKey, string calldata url, string calldata zone, uint64 capacity) external {
        if (nodeKey == bytes32(0)) revert InvalidNodeKey();
        if (_nodes[nodeKey].status != NodeStatus.None) revert NodeAlreadyRegistered(nodeKey);
        _checkFields(url, zone);
        Node storage n = _nodes[nodeKey];
        n.provider = msg.sender;
        n.status = NodeStatus.Idle;
        n.capacity = capacity;
        n.url = url;
        n.zone = zone;
        emit NodeRegistered(nodeKey, msg.sender, url, zone, capacity);
    }

    function updateNode(bytes32 nodeKey, string calldata url, string calldata zone, uint64 capacity) external {
        Node storage n = _own(nodeKey);
        _checkFields(url, zone);
        n.url = url;
        n.zone = zone;
        n.capacity = capacity;
        emit NodeUpdated(n.clusterId, nodeKey, url, zone, capacity);
    }

    /// @notice Adds to the node's bond (pulls tokens; approve this contract first).
    function bond(bytes32 nodeKey, uint256 amount) external nonReentrant {
        Node storage n = _own(nodeKey);
        if (amount == 0) revert ZeroAmount();
        if (n.status == NodeStatus.Unbonding) revert NodeIsUnbonding(nodeKey, n.unlockAt);
        uint256 received = _pull(amount);
        n.bond += uint128(received);
        totalBonded += received;
        emit NodeBonded(nodeKey, received, n.bond);
    }

    function joinCluster(bytes32 nodeKey, uint32 clusterId) external {
        Node storage n = _own(nodeKey);
        if (n.status == NodeStatus.Unbonding) revert NodeIsUnbonding(nodeKey, n.unlockAt);
        if (n.clusterId != 0) revert NodeAlreadyInCluster(nodeKey, n.clusterId);
        _checkBond(n.bond, clusters.clusterTerms(clusterId).nodeBond); // reverts ClusterNotFound
        n.clusterId = clusterId;
        n.status = NodeStatus.Active;
        _members[clusterId].push(nodeKey);
        _memberSlot[nodeKey] = _members[clusterId].length;
        emit NodeJoined(clusterId, nodeKey);
    }

    /// @notice Stops placing new data on the node; it stays in the cluster and keeps its bond.
    function chill(bytes32 nodeKey) external {
        Node storage n = _own(nodeKey);
        if (n.status != NodeStatus.Active) revert NodeNotActive(nodeKey, uint8(n.status));
        n.status = NodeStatus.Chilled;
        emit NodeChilled(n.clusterId, nodeKey);
    }

    /// @notice Brings a chilled node back; its bond must meet the cluster's current bond.
    function activate(bytes32 nodeKey) external {
        Node storage n = _own(nodeKey);
        if (n.status != NodeStatus.Chilled) revert NodeNotChilled(nodeKey, uint8(n.status));
        _checkBond(n.bond, clusters.clusterTerms(n.clusterId).nodeBond);
        n.status = NodeStatus.Active;
        emit NodeActivated(n.clusterId, nodeKey);
    }

    /// @notice Starts the unbonding delay of the whole bond. The node leaves placement now
    /// and may `leave` once the delay has passed; until then the bond can still be slashed.
    function unbond(bytes32 nodeKey) external {
        Node storage n = _own(nodeKey);
        if (n.status == NodeStatus.Unbonding) revert NodeIsUnbonding(nodeKey, n.unlockAt);
        if (n.bond == 0) revert ZeroAmount();
        // A node in no cluster holds no data, so nothing needs time to move.
        uint64 delay = n.clusterId == 0 ? 0 : clusters.clusterTerms(n.clusterId).unbondingDelay;
        n.status = NodeStatus.Unbonding;
        n.unlockAt = uint64(block.timestamp) + delay;
        emit NodeUnbonding(n.clusterId, nodeKey, n.bond, n.unlockAt);
    }

    /// @notice Returns the bond and leaves the cluster, once the unbonding delay has passed.
    function leave(bytes32 nodeKey) external nonReentrant {
        Node storage n = _own(nodeKey);
        if (n.status != NodeStatus.Unbonding) revert NodeNotUnbonding(nodeKey);
        if (block.timestamp < n.unlockAt) revert StakeLocked(n.unlockAt, uint64(block.timestamp));
        uint32 clusterId = n.clusterId;
        uint256 amount = n.bond;
        if (clusterId != 0) _removeMember(clusterId, nodeKey);
        n.clusterId = 0;
        n.bond = 0;
        n.unlockAt = 0;
        n.status = NodeStatus.Idle;
        totalBonded -= amount;
        emit NodeLeft(clusterId, nodeKey, amount);
        if (amount > 0) token.safeTransfer(n.provider, amount);
    }

    /// @notice Takes `amount` of a node's bond to `recipient` for proven misbehaviour.
    /// Held by era settlement; works during unbonding, which is what the delay is for.
    function slash(bytes32 nodeKey, uint256 amount, address recipient, bytes32 reason) external nonReentrant onlyRole(SLASHER_ROLE) {
        Node storage n = _nodes[nodeKey];
        if (n.status == NodeStatus.None) revert NodeNotFound(nodeKey);
        if (recipient == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        if (amount > n.bond) revert SlashTooLarge(n.bond, amount);
        n.bond -= uint128(amount);
        totalBonded -= amount;
        emit NodeSlashed(n.clusterId, nodeKey, amount, recipient, reason);
        token.safeTransfer(recipient, amount);
    }

    function getNode(bytes32 nodeKey) external view returns (Node memory) {
        Node storage n = _nodes[nodeKey];
        if (n.status == NodeStatus.None) revert NodeNotFound(nodeKey);
        return n;
    }

    /// @notice Every node in the cluster, whatever its status (callers pick the Active ones).
    function getClusterNodes(uint32 clusterId) external view returns (NodeInfo[] memory out) {
        bytes32[] storage keys = _members[clusterId];
        out = new NodeInfo[](keys.length);
        for (uint256 i = 0; i < keys.length; i++) out[i] = NodeInfo(keys[i], _nodes[keys[i]]);
    }

    function clusterSize(uint32 clusterId) external view returns (uint256) {
        return _members[clusterId].length;
    }

    function _own(bytes32 nodeKey) private view returns (Node storage n) {
        n = _nodes[nodeKey];
        if (n.status == NodeStatus.None) revert NodeNotFound(nodeKey);
        if (n.provider != msg.sender) revert NotNodeProvider(nodeKey, msg.sender);
    }

    function _checkBond(uint256 have, uint256 required) private pure {
        if (have < required || have == 0) revert BondTooSmall(required == 0 ? 1 : required, have);
    }

    function _checkFields(string calldata url, string calldata zone) private pure {
        if (bytes(url).length == 0 || bytes(url).length > MAX_URL_BYTES) revert InvalidNodeField("url");
        if (bytes(zone).length == 0 || bytes(zone).length > MAX_ZONE_BYTES) revert InvalidNodeField("zone");
    }

    /// Counts what arrived, so a token that takes a fee on transfer cannot inflate bonds.
    function _pull(uint256 amount) private returns (uint256) {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        return token.balanceOf(address(this)) - before;
    }

    function _removeMember(uint32 clusterId, bytes32 nodeKey) private {
        bytes32[] storage keys = _members[clusterId];
        uint256 slot = _memberSlot[nodeKey];
        bytes32 last = keys[keys.length - 1];
        keys[slot - 1] = last;
        _memberSlot[last] = slot;
        keys.pop();
        delete _memberSlot[nodeKey];
    }
}
