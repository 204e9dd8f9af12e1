export { type ContractContext, type ContractSkip, describeStoreContract, type StoreContractOptions, storeContractTests } from './store-contract.js';
export { makeConversation, makeCustomer, makeEvent, makeMessage, testId } from './records.js';
