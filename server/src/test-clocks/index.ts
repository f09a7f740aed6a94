// Public surface of test clocks: a customer's own time in test mode.
export {
  advanceTestClockBody,
  createTestClock,
  createTestClockBody,
  getTestClock,
  nextDueInstant,
  presentTestClock,
  setFrozenTime,
  testClockObject,
  testClockParams,
} from './test-clocks.js';
