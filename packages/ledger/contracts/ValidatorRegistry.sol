// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import "./DdcErrors.sol";

/// @notice Validators and their stake. Era settlement (a later contract holding SLASHER_ROLE)
/// needs exactly what is kept here: the active set, each one's stake, and the total
/// active stake to check a two-thirds agreement against. Stake stays slashable while
/// unbonding.
contract ValidatorRegistry is ReentrancyGuard, AccessControl {
    using SafeERC20 for IERC20;
    using EnumerableSet for EnumerableSet.AddressSet;

    bytes32 public constant SLASHER_ROLE = keccak256("SLASHER_ROLE");

    enum ValidatorStatus {
        None,
        Active,
        Unbonding
    }

    struct Validator {
        bytes32 signingKey; // Ed25519 key that signs era roots
        uint128 stake;
        ValidatorStatus status;
        uint64 unlockAt;
        uint64 activeSince;
    }

    IERC20 public immutable token;
    uint256 public minStake;
    uint32 public unbondingDelay;
    /// Stake of Active validators only: the weight era votes are counted against.
    uint256 public totalActiveStake;
    /// All stake held, active or unbonding: equals this contract's token balance.
    uint256 public totalStaked;

    mapping(address => Validator) private _validators;
    EnumerableSet.AddressSet private _active;

    event ValidatorParamsChanged(uint256 minStake, uint32 unbondingDelay);
    event ValidatorRegistered(address indexed validator, bytes32 signingKey, uint256 stake);
    event ValidatorStakeAdded(address indexed validator, uint256 amount, uint256 total);
    event ValidatorUnbonding(address indexed validator, uint256 amount, uint64 unlockAt);
    event ValidatorLeft(address indexed validator, uint256 amount);
    event ValidatorSlashed(address indexed validator, uint256 amount, address recipient, bytes32 reason);

    constructor(IERC20 token_, uint256 minStake_, uint32 unbondingDelay_, address admin) {
        if (address(token_) == address(0) || admin == address(0)) revert ZeroAddress();
        token = token_;
        minStake = minStake_;
        unbondingDelay = unbondingDelay_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        emit ValidatorParamsChanged(minStake_, unbondingDelay_);
    }

    function setParams(uint256 minStake_, uint32 unbondingDelay_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        minStake = minStake_;
        unbondingDelay = unbondingDelay_;
        emit ValidatorParamsChanged(minStake_, unbondingDelay_);
    }

    function registerValidator(bytes32 signingKey, uint256 stake) external nonReentrant {
        if (signingKey == bytes32(0)) revert InvalidNodeKey();
        if (_validators[msg.sender].status != ValidatorStatus.None) revert ValidatorAlreadyRegistered(msg.sender);
        if (stake < minStake || stake == 0) revert StakeTooSmall(minStake == 0 ? 1 : minStake, stake);
        uint256 received = _pull(stake);
        if (received < minStake) revert StakeTooSmall(minStake, received);
        _validators[msg.sender] = Validator(signingKey, uint128(received), ValidatorStatus.Active, 0, uint64(block.timestamp));
        _active.add(msg.sender);
        totalActiveStake += received;
        totalStaked += received;
        emit ValidatorRegistered(msg.sender, signingKey, received);
    }

    function addStake(uint256 amount) external nonReentrant {
        Validator storage v = _validators[msg.sender];
        if (v.status != ValidatorStatus.Active) revert ValidatorNotActive(msg.sender);
        if (amount == 0) revert ZeroAmount();
        uint256 received = _pull(amount);
        v.stake += uint128(received);
        totalActiveStake += received;
        totalStaked += received;
        emit ValidatorStakeAdded(msg.sender, received, v.stake);
    }

    /// @notice Leaves the active set now; the stake can be withdrawn after the delay.
    function unbondValidator() external {
        Validator storage v = _validators[msg.sender];
        if (v.status != ValidatorStatus.Active) revert ValidatorNotActive(msg.sender);
        v.status = ValidatorStatus.Unbonding;
        v.unlockAt = uint64(block.timestamp) + unbondingDelay;
        _active.remove(msg.sender);
        totalActiveStake -= v.stake;
        emit ValidatorUnbonding(msg.sender, v.stake, v.unlockAt);
    }

    function withdrawValidatorStake() external nonReentrant {
        Validator storage v = _validators[msg.sender];
        if (v.status == ValidatorStatus.None) revert ValidatorNotFound(msg.sender);
        if (v.status != ValidatorStatus.Unbonding) revert ValidatorNotUnbonding(msg.sender);
        if (block.timestamp < v.unlockAt) revert StakeLocked(v.unlockAt, uint64(block.timestamp));
        uint256 amount = v.stake;
        delete _validators[msg.sender];
        totalStaked -= amount;
        emit ValidatorLeft(msg.sender, amount);
        if (amount > 0) token.safeTransfer(msg.sender, amount);
    }

    function slashValidator(address validator, uint256 amount, address recipient, bytes32 reason) external nonReentrant onlyRole(SLASHER_ROLE) {
        Validator storage v = _validators[validator];
        if (v.status == ValidatorStatus.None) revert ValidatorNotFound(validator);
        if (recipient == address(0)) revert ZeroAddress();
        if (amount == 0) revert ZeroAmount();
        if (amount > v.stake) revert SlashTooLarge(v.stake, amount);
        v.stake -= uint128(amount);
        totalStaked -= amount;
        if (v.status == ValidatorStatus.Active) totalActiveStake -= amount;
        emit ValidatorSlashed(validator, amount, recipient, reason);
        token.safeTransfer(recipient, amount);
    }

    function getValidator(address validator) external view returns (Validator memory v) {
        v = _validators[validator];
        if (v.status == ValidatorStatus.None) revert ValidatorNotFound(validator);
    }

    function activeValidators() external view returns (address[] memory) {
        return _active.values();
    }

    function _pull(uint256 amount) private returns (uint256) {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        return token.balanceOf(address(this)) - before;
    }
}
