import { describeOnEveryStore } from '../helpers/every-store.js';
import { describeGovernanceContract } from './governance.contract.js';

await describeOnEveryStore('governance', describeGovernanceContract);
