// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EnumerableSet} from "@openzeppelin/contracts/utils/structs/EnumerableSet.sol";
import {ClusterRegistry} from "./ClusterRegistry.sol";
import "./DdcErrors.sol";

/// @notice Buckets: named containers of objects, owned by an account, living in a cluster.
/// Ids are sequential from 1 and never reused, so a removed bucket's id stays dead and old
/// capability tokens for it cannot come back to life.
contract BucketRegistry {
    using EnumerableSet for EnumerableSet.UintSet;

    // Packed into one storage slot (20 + 4 + 1 + 5 bytes): one write per new bucket.
    struct Bucket {
        address owner; // zero once removed (or never created)
        uint32 clusterId;
        bool isPublic;
        uint40 createdAt;
    }

    ClusterRegistry public immutable clusters;
    uint64 public bucketCount;
    mapping(uint64 => Bucket) private _buckets;
    // Kept on chain so an owner's buckets can be listed without an event indexer.
    mapping(address => EnumerableSet.UintSet) private _owned;
    // Revoked capability token ids (SHA-256 of the token bytes) per bucket. Nodes follow the
    // TokenRevoked events; isRevoked answers one id directly.
    mapping(uint64 => mapping(bytes32 => bool)) private _revoked;

    event BucketCreated(uint64 indexed bucketId, address indexed owner, uint32 indexed clusterId, bool isPublic);
    event BucketTransferred(uint64 indexed bucketId, address indexed from, address indexed to);
    event BucketRemoved(uint64 indexed bucketId, address indexed owner);
    event TokenRevoked(uint64 indexed bucketId, bytes32 indexed tokenId);

    constructor(ClusterRegistry clusters_) {
        if (address(clusters_) == address(0)) revert ZeroAddress();
        clusters = clusters_;
    }

    function createBucket(uint32 clusterId, bool isPublic) external returns (uint64 bucketId) {
        clusters.requireCluster(clusterId);
        bucketId = ++bucketCount;
        _buckets[bucketId] = Bucket(msg.sender, clusterId, isPublic, uint40(block.timestamp));
        _owned[msg.sender].add(bucketId);
        emit BucketCreated(bucketId, msg.sender, clusterId, isPublic);
    }

    function transferBucket(uint64 bucketId, address to) external {
        Bucket storage b = _own(bucketId);
        if (to == address(0)) revert ZeroAddress();
        _owned[msg.sender].remove(bucketId);
        _owned[to].add(bucketId);
        b.owner = to;
        emit BucketTransferred(bucketId, msg.sender, to);
    }

    function removeBucket(uint64 bucketId) external {
        _own(bucketId);
        _owned[msg.sender].remove(bucketId);
        delete _buckets[bucketId];
        emit BucketRemoved(bucketId, msg.sender);
    }

    /// @notice Revokes a capability token (and so every token delegated from it) for this
    /// bucket; owner only. Revoking an id again is a no-op without a second event, so a
    /// retried transaction is harmless.
    function revokeToken(uint64 bucketId, bytes32 tokenId) external {
        _own(bucketId);
        if (_revoked[bucketId][tokenId]) return;
        _revoked[bucketId][tokenId] = true;
        emit TokenRevoked(bucketId, tokenId);
    }

    function isRevoked(uint64 bucketId, bytes32 tokenId) external view returns (bool) {
        return _revoked[bucketId][tokenId];
    }

    function getBucket(uint64 bucketId) external view returns (Bucket memory b) {
        b = _buckets[bucketId];
        if (b.owner == address(0)) revert BucketNotFound(bucketId);
    }

    function bucketsOf(address owner) external view returns (uint256[] memory) {
        return _owned[owner].values();
    }

    function _own(uint64 bucketId) private view returns (Bucket storage b) {
        b = _buckets[bucketId];
        if (b.owner == address(0)) revert BucketNotFound(bucketId);
        if (b.owner != msg.sender) revert NotBucketOwner(bucketId, msg.sender);
    }
}
