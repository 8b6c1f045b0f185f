// Moving messages between queues without a server-side shovel: take a batch with ack
// (POST .../get, ackmode ack_requeue_false), publish each to the destination through the default
// exchange, and if one cannot be published put it and the rest of the batch back on the source queue.
import { apiPath } from './api.js';

const batchSize = 100;

export async function moveMessages(ctx, vhost, source, destination, max, progress) {
  if (destination === source) throw Object.assign(new Error('source and destination are the same queue'), { status: 400 });
  // Fails (and shows why) before anything is taken when the destination does not exist.
  await ctx.api.get(apiPath`/queues/${vhost}/${destination}`);
  const publishUrl = apiPath`/exchanges/${vhost}/amq.default/publish`;
  let moved = 0;
  while (moved < max) {
    const batch = await ctx.api.post(apiPath`/queues/${vhost}/${source}/get`, { count: Math.min(batchSize, max - moved), ackmode: 'ack_requeue_false', encoding: 'base64' });
    if (!batch.length) break;
    for (let i = 0; i < batch.length; i++) {
      const m = batch[i];
      let routed = false;
      try {
        routed = (await ctx.api.post(publishUrl, { properties: m.properties ?? {}, routing_key: destination, payload: m.payload, payload_encoding: m.payload_encoding })).routed;
      } catch { routed = false; }
      if (!routed) {
        await putBack(ctx, publishUrl, source, batch.slice(i));
        ctx.showError(`Moving stopped after ${moved} messages: ${destination} did not take the next one; the rest of the batch was put back on ${source}.`);
        return moved;
      }
      moved++;
    }
    progress?.(moved);
  }
  return moved;
}

async function putBack(ctx, publishUrl, source, messages) {
  for (const m of messages) {
    await ctx.api.post(publishUrl, { properties: m.properties ?? {}, routing_key: source, payload: m.payload, payload_encoding: m.payload_encoding });
  }
}
