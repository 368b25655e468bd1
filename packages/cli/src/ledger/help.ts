/** Help text of the ledger commands, apart from their code so `ddc` loads viem only when one runs. */
export const LEDGER_FLAGS_HELP = '[--rpc URL] [--deployment FILE] [--key-file FILE] [--json]';

export const bucketHelp = `ddc bucket create [--cluster-id N] [--private|--public] [--keystore FILE: owned by that identity] | show ID | ls [--owner ADDR] | rm ID | transfer ID --to ADDR  ${LEDGER_FLAGS_HELP}`;
export const depositHelp = `ddc deposit AMOUNT | unlock AMOUNT | withdraw | balance [--account ADDR]  [--cluster-id N] ${LEDGER_FLAGS_HELP}    CERE deposits for a cluster`;
export const clusterCreateHelp = `ddc cluster create --k K --m M [--replication-threshold BYTES] [--node-bond CERE] [--unbonding-delay SEC] [--deposit-unlock-delay SEC] [--price-gb-month CERE] [--price-gb-transferred CERE] [--price-million-requests CERE] [--treasury-bps N] [--validator-bps N] [--reserve-bps N] ${LEDGER_FLAGS_HELP}`;
export const clusterShowHelp = `ddc cluster show ID ${LEDGER_FLAGS_HELP}    layout, terms and nodes of a cluster on the ledger`;
export const nodeChainHelp = `ddc node register --url URL --zone Z [--capacity BYTES] | bond AMOUNT | join [--cluster-id N] | chill | activate | unbond | leave | show   each with --node-key HEX or --identity FILE (the node's identity.key) ${LEDGER_FLAGS_HELP}`;
export const NODE_CHAIN_SUBCOMMANDS = ['register', 'bond', 'join', 'chill', 'activate', 'unbond', 'leave', 'show'];
export const chainHelp = `ddc chain status ${LEDGER_FLAGS_HELP} | deploy --rpc URL [--token ADDR] [--out FILE]    the chain and the DDC contracts`;
