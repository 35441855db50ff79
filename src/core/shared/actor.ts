import { z } from 'zod';

/** Who did something, as recorded in history and shown (unless anonymous) in views. */
export const ActorSchema = z.object({
  userId: z.string().min(1).max(255),
  name: z.string().max(255).optional(),
  team: z.string().max(255).optional(),
});
export type Actor = z.infer<typeof ActorSchema>;

/** One entry of an entity's history: who changed what, when. */
export const HistoryEntrySchema = z.object({
  at: z.coerce.date(),
  actor: z.string(),
  action: z.string(),
  from: z.string().optional(),
  to: z.string().optional(),
  note: z.string().optional(),
});
export type HistoryEntry = z.infer<typeof HistoryEntrySchema>;
