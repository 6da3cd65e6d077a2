import { describeRateLimitScenarios } from '../../../test/fixtures/rate-limit-scenarios.js';
import { koa2Harness, koa3Harness } from '../../../test/fixtures/rate-limit-apps.js';

describeRateLimitScenarios('Koa 2', koa2Harness);
describeRateLimitScenarios('Koa 3', koa3Harness);
