import { describeOnEveryStore } from '../helpers/every-store.js';
import { describeAiContract } from './ai.contract.js';

await describeOnEveryStore('ai', describeAiContract, { probeAtomicity: true });
