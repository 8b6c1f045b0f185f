// The management API client: every call sends the logged-in user's Basic credentials, parses JSON and
// turns a non-2xx answer into an ApiError whose message is RabbitMQ's {"error","reason"}.
import { showError } from './notify.js';

export class ApiError extends Error {
  constructor(status, error, reason) {
    super(reason || error || `HTTP ${status}`);
    this.status = status;
    this.error = error;
    this.reason = reason;
  }
}

let authorization = null;
let unauthorized = () => {};

/** Sets the credentials (null to forget them) and what happens when the API answers 401. */
export function configure(auth, onUnauthorized) {
  authorization = auth;
  if (onUnauthorized) unauthorized = onUnauthorized;
}

export function basic(user, password) {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return 'Basic ' + btoa(binary);
}

/** Builds an /api path, percent-encoding each interpolated value: apiPath`/queues/${vhost}/${name}`. */
export function apiPath(strings, ...values) {
  let out = strings[0];
  values.forEach((v, i) => { out += encodeURIComponent(String(v)) + strings[i + 1]; });
  return out;
}

/**
 * One request. path is relative to /api ("/queues?page=1"). options: body (serialised as JSON),
 * quiet (do not show the error banner), auth (explicit Authorization header, for the login check),
 * headers (extra request headers, e.g. X-Reason when closing a connection).
 */
export async function request(method, path, options = {}) {
  const headers = { Accept: 'application/json', ...options.headers };
  const auth = options.auth ?? authorization;
  if (auth) headers.Authorization = auth;
  let body;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  // credentials 'omit': the browser never shows its own Basic-auth dialog on a 401.
  let response;
  try {
    response = await fetch('api' + path, { method, headers, body, credentials: 'omit', cache: 'no-store' });
  } catch (e) {
    const error = new ApiError(0, 'network_error', 'The broker cannot be reached: ' + e.message);
    if (!options.quiet) showError(error.message);
    throw error;
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data?.error, data?.reason ?? (typeof data === 'string' ? data : undefined));
    // RabbitMQ answers 401 both to wrong credentials and to a user whose tags do not allow this call:
    // only the first ends the session.
    if (response.status === 401 && !options.auth && !(await credentialsStillValid())) unauthorized(error);
    if (!options.quiet) showError(`${method} /api${path}: ${error.message}`);
    throw error;
  }
  return data;
}

async function credentialsStillValid() {
  if (!authorization) return false;
  try {
    const check = await fetch('api/whoami', { headers: { Authorization: authorization, Accept: 'application/json' }, credentials: 'omit', cache: 'no-store' });
    return check.ok;
  } catch {
    return true; // unreachable is not logged out
  }
}

export const api = {
  get: (path, options) => request('GET', path, options),
  put: (path, body, options) => request('PUT', path, { ...options, body }),
  post: (path, body, options) => request('POST', path, { ...options, body }),
  delete: (path, options) => request('DELETE', path, options),
};
