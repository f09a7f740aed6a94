// Public surface of the ledger: entries, balances and monthly statements.
export {
  balanceOf,
  entriesPage,
  type LedgerAccount,
  listEntries,
  type NewEntry,
  post,
  postToOpenStatements,
  statementFor,
  statementsFor,
} from './ledger.js';
export * from './ledger.schema.js';
export {
  closeStatement,
  figuresOf,
  getStatement,
  listStatements,
  type StatementFigures,
  statementsToClose,
} from './statements.js';
