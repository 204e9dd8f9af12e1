import { memoryStore } from '../../src/stores/memory/index.js';
import { describeStoreContract } from '../../src/testing/index.js';

describeStoreContract('memory', () => memoryStore());
