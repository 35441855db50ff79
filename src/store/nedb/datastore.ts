import M from '@seald-io/nedb';

// NOTE: the default export of @seald-io/nedb is mistyped under NodeNext; wrap it once here.
type DatastoreClass = typeof M.default;
export const Datastore: DatastoreClass = ((M as unknown as { default?: DatastoreClass }).default ??
  M) as DatastoreClass;
export type Datastore = InstanceType<DatastoreClass>;

/** What `updateAsync` resolves to (the bundled types leave it as any). */
export interface UpdateResult<T> {
  numAffected: number;
  affectedDocuments: (T & { _id: string }) | (T & { _id: string })[] | null;
  upsert: boolean;
}

export async function update<T>(
  db: Datastore,
  query: object,
  updateQuery: object,
  options: { upsert?: boolean; multi?: boolean } = {},
): Promise<UpdateResult<T>> {
  return (await db.updateAsync(query, updateQuery, {
    ...options,
    returnUpdatedDocs: true,
  })) as unknown as UpdateResult<T>;
}

export function isUniqueViolation(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { errorType?: string }).errorType === 'uniqueViolated'
  );
}
