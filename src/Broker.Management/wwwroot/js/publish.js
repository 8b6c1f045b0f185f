// The publish form shared by the exchange page and the queue page (a queue publishes through the
// default exchange with its name as routing key): routing key, delivery mode, headers, properties, payload.
import { h, field, input, select, argsEditor, busy } from './dom.js';
import { apiPath } from './api.js';

const propertyNames = ['content_type', 'content_encoding', 'priority', 'correlation_id', 'reply_to', 'expiration', 'message_id', 'timestamp', 'type', 'user_id', 'app_id', 'cluster_id'];
const numeric = new Set(['priority', 'timestamp']);

export function publishForm(ctx, vhost, exchange, fixedRoutingKey) {
  const routingKey = input({ class: 'publish-routing-key', value: fixedRoutingKey ?? '', disabled: fixedRoutingKey !== undefined });
  const mode = select([['1', '1 - Non-persistent'], ['2', '2 - Persistent']], '2', { class: 'publish-delivery-mode' });
  const headers = argsEditor(1);
  const props = propertiesEditor();
  const payload = h('textarea', { class: 'publish-payload', rows: 6, placeholder: 'payload' });
  const encoding = select([['string', 'String (UTF-8)'], ['base64', 'Base64']], 'string', { class: 'publish-encoding' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary publish-submit' }, 'Publish message');
  const form = h('form', { class: 'form publish', onsubmit: e => {
    e.preventDefault();
    busy(submit, async () => {
      const properties = { delivery_mode: Number(mode.value), ...props.value() };
      const hdrs = headers.value();
      if (Object.keys(hdrs).length) properties.headers = hdrs;
      const result = await ctx.api.post(apiPath`/exchanges/${vhost}/${exchange || 'amq.default'}/publish`, {
        properties, routing_key: routingKey.value, payload: payload.value, payload_encoding: encoding.value,
      });
      if (result.routed) ctx.toast('Message published');
      else ctx.showError('Message published, but it was not routed to any queue');
    });
  } },
    field('Routing key', routingKey),
    field('Delivery mode', mode),
    field('Headers', headers.el, 'Typed key/value pairs; a new row appears as you fill the last one.'),
    field('Properties', props.el),
    field('Payload', payload),
    field('Payload encoding', encoding),
    h('div', { class: 'form-actions' }, submit));
  return form;
}

/** Rows of [property][value]; a new row appears when the last one is filled. */
function propertiesEditor() {
  const rows = h('div', { class: 'args-rows' });
  const addRow = () => {
    const value = input({ class: 'prop-value', placeholder: 'value' });
    const row = h('div', { class: 'args-row' }, select(propertyNames, propertyNames[0], { class: 'prop-name' }), h('span', null, '='), value);
    rows.append(row);
    value.addEventListener('input', () => { if (rows.lastChild === row) addRow(); });
  };
  addRow();
  return {
    el: rows,
    value() {
      const out = {};
      for (const row of rows.children) {
        const name = row.querySelector('.prop-name').value;
        const value = row.querySelector('.prop-value').value;
        if (value !== '') out[name] = numeric.has(name) ? Number(value) : value;
      }
      return out;
    },
  };
}
