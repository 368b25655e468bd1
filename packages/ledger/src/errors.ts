/**
 * Turns whatever viem throws into a DdcError: contract reverts become DDC_LEDGER_REVERT
 * with the contract's custom error name and arguments in `details` and a hint that says
 * how to get past it; transport failures, missing contracts and unfunded accounts get
 * codes of their own.
 */
import {
  BaseError,
  ContractFunctionRevertedError,
  ContractFunctionZeroDataError,
  HttpRequestError,
  InsufficientFundsError,
  decodeErrorResult,
  formatUnits,
  type Hex,
} from 'viem';
import { DdcError } from '@ddc/core';
import { ledgerErrorsAbi } from './abis.js';
import { NODE_STATUSES } from './types.js';

/** The CERE token's decimals (the dev token uses the same). */
export const CERE_DECIMALS = 10;

export interface RevertDetails {
  contract: string;
  functionName: string;
  errorName: string;
  /** The error's arguments by name; bigints as decimal strings so they survive JSON. */
  args: Record<string, string | number | boolean>;
}

type Args = Record<string, unknown>;
type Explain = (a: Args) => { message: string; hint: string };

const cere = (v: unknown) => `${formatUnits(BigInt(v as bigint), CERE_DECIMALS)} CERE`;
const when = (t: unknown) => new Date(Number(t) * 1000).toISOString();
const wait = (until: unknown, now: unknown) => `${Number(BigInt(until as bigint) - BigInt(now as bigint))} s`;
const status = (s: unknown) => NODE_STATUSES[Number(s)] ?? `status ${String(s)}`;

/** One entry per custom error the contracts raise. */
const EXPLAIN: Record<string, Explain> = {
  ZeroAmount: () => ({ message: 'the amount is zero', hint: 'Pass an amount above zero' }),
  ZeroAddress: () => ({ message: 'an address argument is the zero address', hint: 'Pass a real account or contract address' }),
  ClusterNotFound: (a) => ({ message: `cluster ${a.clusterId} does not exist`, hint: 'Check the id with `ddc cluster show ID`, or create one with `ddc cluster create`' }),
  NotClusterManager: (a) => ({ message: `${a.caller} is not the manager of cluster ${a.clusterId}`, hint: "Sign with the cluster manager's key" }),
  InvalidErasureParams: (a) => ({ message: `k=${a.k}, m=${a.m} are not valid erasure parameters`, hint: 'Use k >= 1 and k + m <= 256' }),
  SharesTooHigh: (a) => ({ message: `treasury + validator + reserve shares are ${a.total} basis points, over ${a.max}`, hint: 'Lower the shares so they add up to at most 10000' }),
  InvalidNodeKey: () => ({ message: 'the key is zero', hint: "Pass the node's 32-byte Ed25519 public key (hex)" }),
  InvalidNodeField: (a) => ({ message: `the node's ${a.field} is empty or too long`, hint: 'Use a url of 1-256 bytes and a zone of 1-64 bytes' }),
  NodeAlreadyRegistered: (a) => ({ message: `node ${a.nodeKey} is already registered`, hint: 'Use `ddc node bond` or `ddc node join` for it, or register a new key' }),
  NodeNotFound: (a) => ({ message: `node ${a.nodeKey} is not registered`, hint: 'Register it first with `ddc node register`' }),
  NotNodeProvider: (a) => ({ message: `${a.caller} did not register node ${a.nodeKey}`, hint: 'Sign with the account that registered the node' }),
  NodeAlreadyInCluster: (a) => ({ message: `node ${a.nodeKey} is already in cluster ${a.clusterId}`, hint: 'Unbond, wait for the unbonding delay and leave before joining another cluster' }),
  NodeNotInCluster: (a) => ({ message: `node ${a.nodeKey} is in no cluster`, hint: 'Join a cluster first' }),
  NodeNotActive: (a) => ({ message: `node ${a.nodeKey} is ${status(a.status)}, not active`, hint: 'Only an active node can be chilled' }),
  NodeNotChilled: (a) => ({ message: `node ${a.nodeKey} is ${status(a.status)}, not chilled`, hint: 'Only a chilled node can be activated' }),
  NodeIsUnbonding: (a) => ({ message: `node ${a.nodeKey} is unbonding until ${when(a.unlockAt)}`, hint: 'Wait for the delay, `ddc node leave`, then bond and join again' }),
  NodeNotUnbonding: (a) => ({ message: `node ${a.nodeKey} is not unbonding`, hint: "Run `ddc node unbond` first, then leave after the cluster's unbonding delay" }),
  BondTooSmall: (a) => ({
    message: `the node's bond is ${cere(a.given)} but the cluster requires ${cere(a.required)}`,
    hint: `Bond at least ${cere(BigInt(a.required as bigint) - BigInt(a.given as bigint))} more with \`ddc node bond\`, then retry`,
  }),
  StakeLocked: (a) => ({ message: `the stake is locked until ${when(a.unlockAt)}`, hint: `Retry in ${wait(a.unlockAt, a.nowTime)}: the unbonding delay gives the cluster time to move data away` }),
  SlashTooLarge: (a) => ({ message: `cannot slash ${cere(a.amount)} from a stake of ${cere(a.stake)}`, hint: 'Slash at most the whole stake' }),
  BucketNotFound: (a) => ({ message: `bucket ${a.bucketId} does not exist (or was removed)`, hint: 'List your buckets with `ddc bucket ls`' }),
  NotBucketOwner: (a) => ({ message: `${a.caller} does not own bucket ${a.bucketId}`, hint: "Only the bucket's owner can change it; sign with the owner's key" }),
  InsufficientDeposit: (a) => ({ message: `the available deposit is ${cere(a.available)}, less than ${cere(a.requested)}`, hint: 'Ask for at most the available amount (see `ddc balance`), or deposit more' }),
  NothingToWithdraw: () => ({ message: 'nothing is unlocked for withdrawal', hint: 'Run `ddc unlock AMOUNT` first, then withdraw after the cluster\'s unlock delay' }),
  DepositLocked: (a) => ({ message: `the unlocked deposit is locked until ${when(a.unlockAt)}`, hint: `Retry in ${wait(a.unlockAt, a.nowTime)}` }),
  ValidatorAlreadyRegistered: (a) => ({ message: `${a.validator} is already a validator`, hint: 'Add stake instead, or use another account' }),
  ValidatorNotFound: (a) => ({ message: `${a.validator} is not a validator`, hint: 'Register it first' }),
  ValidatorNotActive: (a) => ({ message: `${a.validator} is not an active validator`, hint: 'Register first; stake can be added and unbonded only while active' }),
  ValidatorNotUnbonding: (a) => ({ message: `validator ${a.validator} is not unbonding`, hint: 'Unbond first, then withdraw after the unbonding delay' }),
  StakeTooSmall: (a) => ({ message: `a stake of ${cere(a.given)} is below the minimum ${cere(a.required)}`, hint: `Stake at least ${cere(a.required)}` }),
  ERC20InsufficientBalance: (a) => ({ message: `${a.sender} holds ${cere(a.balance)} but ${cere(a.needed)} is needed`, hint: 'Get more tokens into this account (on a dev chain, `ddc dev` funds the dev accounts)' }),
  ERC20InsufficientAllowance: (a) => ({ message: `${a.spender} may spend ${cere(a.allowance)} of this account's tokens, not ${cere(a.needed)}`, hint: 'Approve the contract for the amount first (the typed client does this unless told not to)' }),
  AccessControlUnauthorizedAccount: (a) => ({ message: `${a.account} lacks role ${a.neededRole}`, hint: "Sign with an account that holds the role (granted by the contract's admin)" }),
  OwnableUnauthorizedAccount: (a) => ({ message: `${a.account} is not the token owner`, hint: 'Only the deployer can mint dev CERE' }),
};

function jsonSafe(args: readonly unknown[] | undefined, names: readonly (string | undefined)[]): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  (args ?? []).forEach((v, i) => {
    const key = names[i] || `arg${i}`;
    out[key] = typeof v === 'bigint' ? v.toString() : typeof v === 'number' || typeof v === 'boolean' ? v : String(v);
  });
  return out;
}

export interface CallSite {
  contract: string;
  functionName: string;
}

/** Decodes raw revert data against every ledger error; undefined when it is not one of ours. */
export function decodeRevertData(data: Hex): { errorName: string; args: readonly unknown[]; names: readonly (string | undefined)[] } | undefined {
  try {
    const r = decodeErrorResult({ abi: ledgerErrorsAbi, data });
    const names = 'inputs' in r.abiItem ? r.abiItem.inputs.map((i) => i.name) : [];
    return { errorName: r.errorName, args: r.args ?? [], names };
  } catch {
    return undefined;
  }
}

function revertError(site: CallSite, errorName: string, args: readonly unknown[], names: readonly (string | undefined)[], cause: unknown): DdcError {
  const named: Args = {};
  args.forEach((v, i) => (named[names[i] || `arg${i}`] = v));
  const explain = EXPLAIN[errorName];
  const { message, hint } = explain ? explain(named) : { message: `${errorName}(${args.map(String).join(', ')})`, hint: 'See docs/LEDGER.md for what this contract error means' };
  const details: RevertDetails = { contract: site.contract, functionName: site.functionName, errorName, args: jsonSafe(args, names) };
  return new DdcError('DDC_LEDGER_REVERT', `${site.contract}.${site.functionName} reverted with ${errorName}: ${message}`, { hint, cause, details: { ...details } });
}

/** Maps any error from a ledger call to a DdcError (DdcErrors pass through unchanged). */
export function toLedgerError(e: unknown, site: CallSite): DdcError {
  if (e instanceof DdcError) return e;
  if (e instanceof BaseError) {
    const reverted = e.walk((x) => x instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null;
    if (reverted) {
      if (reverted.data?.errorName && reverted.data.errorName !== 'Error' && reverted.data.errorName !== 'Panic') {
        const names = 'inputs' in reverted.data.abiItem ? reverted.data.abiItem.inputs.map((i) => i.name) : [];
        return revertError(site, reverted.data.errorName, reverted.data.args ?? [], names, e);
      }
      // Errors bubbled up from another contract (the token, the cluster registry) are not
      // in the called contract's ABI; decode them against all of ours.
      const decoded = reverted.raw ? decodeRevertData(reverted.raw) : undefined;
      if (decoded) return revertError(site, decoded.errorName, decoded.args, decoded.names, e);
      const reason = reverted.reason ?? reverted.shortMessage;
      return new DdcError('DDC_LEDGER_REVERT', `${site.contract}.${site.functionName} reverted: ${reason}`, {
        hint: 'The contract refused the call without a DDC error; check the deployment file matches this build',
        cause: e,
        details: { contract: site.contract, functionName: site.functionName, errorName: 'unknown', args: {} },
      });
    }
    if (e.walk((x) => x instanceof ContractFunctionZeroDataError)) {
      return new DdcError('DDC_LEDGER_DEPLOYMENT', `no ${site.contract} contract answered at its deployment address`, { hint: 'The deployment file is for another chain or was reset: pass the right --deployment FILE, or redeploy', cause: e });
    }
    if (e.walk((x) => x instanceof InsufficientFundsError)) {
      return new DdcError('DDC_LEDGER_ACCOUNT', 'the account cannot pay for gas', { hint: "Fund the signing account with the chain's native coin", cause: e });
    }
    if (e.walk((x) => x instanceof HttpRequestError)) {
      return new DdcError('DDC_LEDGER_UNAVAILABLE', `the chain's RPC endpoint could not be reached (${site.contract}.${site.functionName})`, { hint: 'Check --rpc URL, or start a dev chain with `ddc dev`', cause: e });
    }
    return new DdcError('DDC_LEDGER_UNAVAILABLE', `${site.contract}.${site.functionName} failed: ${e.shortMessage}`, { hint: 'Check the RPC endpoint and retry', cause: e });
  }
  if (e instanceof Error && e.name === 'AbortError') return new DdcError('DDC_ABORTED', 'the ledger call was aborted', { cause: e });
  return new DdcError('DDC_LEDGER_UNAVAILABLE', `${site.contract}.${site.functionName} failed: ${e instanceof Error ? e.message : String(e)}`, { hint: 'Check the RPC endpoint and retry', cause: e });
}
