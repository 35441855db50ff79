import nock from 'nock';
import { uid, type SlackTestApp } from './harness.js';

export const FILES = 'https://files.slack.com';

/** The file of an upload: the one part of the multipart form the Web API client posts. */
function filePart(body: unknown): Buffer {
  // nock hands over a binary body as hex, a text one as text.
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const form = /^([\da-f]{2})+$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'utf8');
  const start = form.indexOf('\r\n\r\n') + 4;
  return form.subarray(start, form.lastIndexOf('\r\n--'));
}

/**
 * Slack's file upload: the URL to upload to (files.getUploadURLExternal), the bytes, then the
 * share into a conversation (files.completeUploadExternal, refused with `refuse` if given).
 * Returns the files' bytes in the order they arrive.
 */
export function expectUploads(t: SlackTestApp, times: number, refuse?: string): Buffer[] {
  const uploads: Buffer[] = [];
  t.slack.expect(
    'files.getUploadURLExternal',
    () => {
      const id = `F${uid().replace(/\W/g, '').toUpperCase()}`;
      return { upload_url: `${FILES}/upload/v1/${id}`, file_id: id };
    },
    times,
  );
  nock(FILES)
    .post(/\/upload\/v1\/.*/)
    .times(times)
    .reply(200, (_uri, body) => {
      uploads.push(filePart(body));
      return 'OK - 1234';
    });
  if (refuse === undefined)
    t.slack.expect('files.completeUploadExternal', { files: [{ id: 'F1' }] }, times);
  else t.slack.fail('files.completeUploadExternal', refuse, times);
  return uploads;
}
