/**
 * Runs the write an acknowledgement promises, then acknowledges.
 *
 * NOTE: Slack never retries a slash command, a button or a form submission, and once it has
 * its HTTP 200 the person is told "sent": what they sent is therefore stored before the ack
 * (a store write takes milliseconds of the 3 s Slack allows), so a crash can only lose a
 * request Slack was never told had arrived. The delivery claim is taken inside `write`, before
 * the change it guards; a crash between the two leaves an unacknowledged request, which Slack
 * reports to the person as failed, so nothing acknowledged is lost.
 *
 * The ack is sent even when the write fails (the listener's error guard then answers the
 * person through response_url), so Slack never shows its own timeout on top of our message.
 * Everything slow (Web API calls, the triage card, answers) runs after this returns.
 */
export async function ackAfter<T>(ack: () => Promise<void>, write: () => Promise<T>): Promise<T> {
  let result: T;
  try {
    result = await write();
  } catch (error) {
    // A write stuck past Bolt's deadline (an unresponsive store) finds the request already
    // answered: the failed late ack must not hide the write's own error from the person.
    await ack().catch(() => undefined);
    throw error;
  }
  await ack();
  return result;
}
