// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import "./DdcErrors.sol";

/// @notice Clusters and their terms. A cluster's layout (k, m, replication threshold) fixes
/// where stored data lives, so it never changes; its economic terms may, and every change
/// is an event so nodes and clients can follow.
contract ClusterRegistry {
    uint256 public constant MAX_BPS = 10_000;

    struct Layout {
        uint16 k; // data shards per stripe
        uint16 m; // parity shards per stripe
        uint32 replicationThreshold; // pieces smaller than this (bytes) are stored as m + 1 copies
    }

    /// Prices are in token base units. Shares are basis points of what customers pay; the
    /// rest goes to the providers. Delays are in seconds and apply to requests made after
    /// a change (a running unbonding or unlock keeps the time it was given).
    struct Terms {
        uint128 pricePerGbMonth;
        uint128 pricePerGbTransferred;
        uint128 pricePerMillionRequests;
        uint16 treasuryBps;
        uint16 validatorBps;
        uint16 reserveBps;
        uint128 nodeBond;
        uint32 unbondingDelay;
        uint32 depositUnlockDelay;
    }

    struct Cluster {
        address manager;
        Layout layout;
        Terms terms;
        uint64 createdAt;
    }

    uint32 public clusterCount;
    mapping(uint32 => Cluster) private _clusters;

    event ClusterCreated(uint32 indexed clusterId, address indexed manager, Layout layout, Terms terms);
    event ClusterUpdated(uint32 indexed clusterId, Terms terms);
    event ClusterManagerChanged(uint32 indexed clusterId, address indexed previousManager, address indexed newManager);

    function createCluster(Layout calldata layout, Terms calldata terms) external returns (uint32 clusterId) {
        // Same bounds as the Reed-Solomon codec: 1 <= k and k + m <= 256.
        if (layout.k == 0 || uint256(layout.k) + layout.m > 256) revert InvalidErasureParams(layout.k, layout.m);
        _checkTerms(terms);
        clusterId = ++clusterCount;
        _clusters[clusterId] = Cluster(msg.sender, layout, terms, uint64(block.timestamp));
        emit ClusterCreated(clusterId, msg.sender, layout, terms);
    }

    /// @notice Replaces the cluster's terms. The layout is not among them: changing k or m
    /// would strand every stored stripe.
    function updateCluster(uint32 clusterId, Terms calldata terms) external {
        _onlyManager(clusterId);
        _checkTerms(terms);
        _clusters[clusterId].terms = terms;
        emit ClusterUpdated(clusterId, terms);
    }

    function setManager(uint32 clusterId, address newManager) external {
        _onlyManager(clusterId);
        if (newManager == address(0)) revert ZeroAddress();
        emit ClusterManagerChanged(clusterId, _clusters[clusterId].manager, newManager);
        _clusters[clusterId].manager = newManager;
    }

    function getCluster(uint32 clusterId) external view returns (Cluster memory) {
        return _cluster(clusterId);
    }

    function clusterTerms(uint32 clusterId) external view returns (Terms memory) {
        return _cluster(clusterId).terms;
    }

    function exists(uint32 clusterId) public view returns (bool) {
        return _clusters[clusterId].manager != address(0);
    }

    function requireCluster(uint32 clusterId) external view {
        _cluster(clusterId);
    }

    function _cluster(uint32 clusterId) private view returns (Cluster storage c) {
        c = _clusters[clusterId];
        if (c.manager == address(0)) revert ClusterNotFound(clusterId);
    }

    function _onlyManager(uint32 clusterId) private view {
        if (_cluster(clusterId).manager != msg.sender) revert NotClusterManager(clusterId, msg.sender);
    }

    function _checkTerms(Terms calldata t) private pure {
        uint256 total = uint256(t.treasuryBps) + t.validatorBps + t.reserveBps;
        if (total > MAX_BPS) revert SharesTooHigh(total, MAX_BPS);
    }
}
