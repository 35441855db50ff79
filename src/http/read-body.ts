import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';

/** A request refused with an HTTP status and a message for the caller. */
export class HttpRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A request's whole body, refused with 413 when it is (or says it is) larger than `limit`
 * bytes, and with 400 when it is cut short or its length is not the one declared.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  try {
    const declared = req.headers['content-length'];
    return await getRawBody(req, {
      limit,
      ...(declared !== undefined ? { length: declared } : {}),
    });
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (status === 413) throw new HttpRefusal(413, `The body is larger than ${limit} bytes`);
    if (typeof status === 'number' && status >= 400 && status < 500)
      throw new HttpRefusal(400, 'The body could not be read');
    throw error;
  }
}
