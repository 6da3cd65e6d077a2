export { createTestIssuer, type MintOptions, type TestAlgorithm, type TestIssuer, type TestIssuerOptions } from './issuer.js';
