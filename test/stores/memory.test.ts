import { describeStoreContract } from '../../src/testing/index.js';
import { memoryStore } from '../../src/stores/memory/index.js';

describeStoreContract('memory', () => memoryStore());
