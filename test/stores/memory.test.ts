import { memoryStore } from '../../src/stores/memory/index.js';
import { describeStoreContract } from '../../src/testing/index.js';

describeStoreContract('memory', () => memoryStore());
// A log short enough for the contract to write past it: the newest events and their cursors survive.
describeStoreContract('memory, keeping 8 events', () => memoryStore({ eventRetention: 8 }), {
  eventRetention: 8,
});
