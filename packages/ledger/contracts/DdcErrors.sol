// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

// Custom errors shared by the DDC contracts. Each names what went wrong and carries the
// values a caller needs to fix it; the typed client turns them into DdcErrors with hints.

error ZeroAmount();
error ZeroAddress();

error ClusterNotFound(uint32 clusterId);
error NotClusterManager(uint32 clusterId, address caller);
error InvalidErasureParams(uint16 k, uint16 m);
error SharesTooHigh(uint256 total, uint256 max);

error InvalidNodeKey();
error InvalidNodeField(string field);
error NodeAlreadyRegistered(bytes32 nodeKey);
error NodeNotFound(bytes32 nodeKey);
error NotNodeProvider(bytes32 nodeKey, address caller);
error NodeAlreadyInCluster(bytes32 nodeKey, uint32 clusterId);
error NodeNotInCluster(bytes32 nodeKey);
error NodeNotActive(bytes32 nodeKey, uint8 status);
error NodeNotChilled(bytes32 nodeKey, uint8 status);
error NodeIsUnbonding(bytes32 nodeKey, uint64 unlockAt);
error NodeNotUnbonding(bytes32 nodeKey);
error BondTooSmall(uint256 required, uint256 given);
error StakeLocked(uint64 unlockAt, uint64 nowTime);
error SlashTooLarge(uint256 stake, uint256 amount);

error BucketNotFound(uint64 bucketId);
error NotBucketOwner(uint64 bucketId, address caller);

error InsufficientDeposit(uint256 available, uint256 requested);
error NothingToWithdraw();
error DepositLocked(uint64 unlockAt, uint64 nowTime);

error ValidatorAlreadyRegistered(address validator);
error ValidatorNotFound(address validator);
error ValidatorNotActive(address validator);
error ValidatorNotUnbonding(address validator);
error StakeTooSmall(uint256 required, uint256 given);
