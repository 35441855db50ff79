import { describeOnEveryStore } from '../helpers/every-store.js';
import { describeInstallationContract } from './installations.contract.js';

await describeOnEveryStore('installations', describeInstallationContract);
