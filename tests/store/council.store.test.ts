import { describeOnEveryStore } from '../helpers/every-store.js';
import { describeCouncilContract } from './council.contract.js';

await describeOnEveryStore('council', describeCouncilContract, { probeAtomicity: true });
