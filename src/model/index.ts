export * from './errors.js';
export * from './events.js';
export * from './identity.js';
export * from './inbound.js';
export * from './parts.js';
export * from './records.js';
