export {
  type ChannelContractCases,
  type ChannelContractOptions,
  channelContractTests,
  describeChannelContract,
  tamper,
} from './channel-contract.js';
export { makeConversation, makeCustomer, makeEvent, makeMessage, testId } from './records.js';
export {
  type ContractContext,
  type ContractSkip,
  describeStoreContract,
  type StoreContractOptions,
  storeContractTests,
} from './store-contract/index.js';
