// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @notice The CERE token of dev networks. Production deployments point the other
/// contracts at an existing ERC-20 instead, so minting here is deliberately unrestricted
/// for the deployer.
contract CereToken is ERC20, Ownable {
    constructor(address owner_) ERC20("Cere (dev)", "CERE") Ownable(owner_) {}

    /// @dev Matches the CERE token's 10 decimals so amounts read the same as on mainnet.
    function decimals() public pure override returns (uint8) {
        return 10;
    }

    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
