// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ClusterRegistry} from "./ClusterRegistry.sol";
import "./DdcErrors.sol";

/// @notice Customer deposits, per account and cluster, that pay for storage and traffic.
///
/// A deposit is `available` (can be charged) until the owner unlocks part of it; that part
/// is `unlocking` until the cluster's deposit unlock delay has passed, then it can be
/// withdrawn. Charges only touch `available`, so a customer cannot run from a bill by
/// unlocking. Invariant: totalHeld == sum of available + unlocking == tokens held here.
contract DepositVault is ReentrancyGuard, AccessControl {
    using SafeERC20 for IERC20;

    /// Granted to the era settlement contract once it exists; nobody holds it at deploy.
    bytes32 public constant SETTLER_ROLE = keccak256("SETTLER_ROLE");

    struct Balance {
        uint128 available;
        uint128 unlocking;
        uint64 unlockAt;
    }

    IERC20 public immutable token;
    ClusterRegistry public immutable clusters;
    uint256 public totalHeld;
    mapping(address => mapping(uint32 => Balance)) private _balances;

    event Deposited(address indexed account, uint32 indexed clusterId, address indexed from, uint256 amount);
    event UnlockStarted(address indexed account, uint32 indexed clusterId, uint256 amount, uint256 unlocking, uint64 unlockAt);
    event Withdrawn(address indexed account, uint32 indexed clusterId, uint256 amount);
    event Charged(address indexed account, uint32 indexed clusterId, uint256 amount, address recipient, bytes32 reference_);

    constructor(IERC20 token_, ClusterRegistry clusters_, address admin) {
        if (address(token_) == address(0) || address(clusters_) == address(0) || admin == address(0)) revert ZeroAddress();
        token = token_;
        clusters = clusters_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    function deposit(uint32 clusterId, uint256 amount) external {
        depositFor(msg.sender, clusterId, amount);
    }

    /// @notice Deposits the caller's tokens into `account`'s balance (e.g. an app paying for its users).
    function depositFor(address account, uint32 clusterId, uint256 amount) public nonReentrant {
        if (account == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        clusters.requireCluster(clusterId);
        // Count what arrived, so fee-on-transfer tokens cannot break the invariant.
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        _balances[account][clusterId].available += uint128(received);
        totalHeld += received;
        emit Deposited(account, clusterId, msg.sender, received);
    }

    /// @notice Moves `amount` from available to unlocking. A second unlock before the first is
    /// withdrawn adds to it and restarts the delay for the whole unlocking amount.
    function unlock(uint32 clusterId, uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        Balance storage b = _balances[msg.sender][clusterId];
        if (amount > b.available) revert InsufficientDeposit(b.available, amount);
        uint32 delay = clusters.clusterTerms(clusterId).depositUnlockDelay;
        b.available -= uint128(amount);
        b.unlocking += uint128(amount);
        b.unlockAt = uint64(block.timestamp) + delay;
        emit UnlockStarted(msg.sender, clusterId, amount, b.unlocking, b.unlockAt);
    }

    /// @notice Sends the whole unlocked amount back to the caller once the delay has passed.
    function withdraw(uint32 clusterId) external nonReentrant returns (uint256 amount) {
        Balance storage b = _balances[msg.sender][clusterId];
        amount = b.unlocking;
        if (amount == 0) revert NothingToWithdraw();
        if (block.timestamp < b.unlockAt) revert DepositLocked(b.unlockAt, uint64(block.timestamp));
        b.unlocking = 0;
        b.unlockAt = 0;
        totalHeld -= amount;
        emit Withdrawn(msg.sender, clusterId, amount);
        token.safeTransfer(msg.sender, amount);
    }

    /// @notice Pays `amount` of an account's available deposit to `recipient`; era settlement
    /// calls this with the era's root as `reference_` so every charge traces to its proof.
    function charge(address account, uint32 clusterId, uint256 amount, address recipient, bytes32 reference_) external nonReentrant onlyRole(SETTLER_ROLE) {
        if (recipient == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        Balance storage b = _balances[account][clusterId];
        if (amount > b.available) revert InsufficientDeposit(b.available, amount);
        b.available -= uint128(amount);
        totalHeld -= amount;
        emit Charged(account, clusterId, amount, recipient, reference_);
        token.safeTransfer(recipient, amount);
    }

    function balanceOf(address account, uint32 clusterId) external view returns (Balance memory) {
        return _balances[account][clusterId];
    }
}
