import { describeOnEveryStore } from '../helpers/every-store.js';
import { describeConversationContract } from './conversations.contract.js';

await describeOnEveryStore('conversations', describeConversationContract);
