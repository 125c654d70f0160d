// /predictwire.js as the server serves it: the module's own bytes, its type, ETag and cache
// lifetime, a 304 when the browser has it, the page importing this very version, and the served
// module working as served.

import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';
import {after, before, describe, it} from 'node:test';

import WebSocket from 'ws';

import {ROOT, Server} from './support/server.js';

describe('the server /predictwire.js', () => {
  let server;
  before(async () => {
    server = await new Server(['--model', 'sum=sleep:0']).start();
  });
  after(() => server.stop());

  it('is the module, with its type, ETag and cache lifetime, and a 304 when unchanged', async () => {
    const response = await fetch(`${server.url}/predictwire.js`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'public, max-age=86400');
    const etag = response.headers.get('etag');
    assert.match(etag, /^"[0-9a-f]{16}"$/);
    const text = await response.text();
    assert.equal(text, readFileSync(path.join(ROOT, 'clients', 'js', 'predictwire.js'), 'utf8'));
    const again = await fetch(`${server.url}/predictwire.js`, {headers: {'if-none-match': etag}});
    assert.equal(again.status, 304);
    assert.equal(await again.text(), '');
    const versioned = await fetch(`${server.url}/predictwire.js?v=${etag.slice(1, -1)}`);
    assert.equal(versioned.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    const page = await (await fetch(`${server.url}/`)).text();
    assert.ok(page.includes(`/predictwire.js?v=${etag.slice(1, -1)}`), 'the page imports this version');
    const routes = await (await fetch(`${server.url}/routes`)).text();
    assert.match(routes, /GET {2}\/predictwire\.js/);
    // What the server serves works as served.
    const served = await import(`data:text/javascript;base64,${Buffer.from(text).toString('base64')}`);
    const c = served.connect(server.url, {wire: 'ws', WebSocket});
    try {
      assert.deepEqual((await c.predict([2, 3])).predictions, [5]);
    } finally {
      c.close();
    }
  });

  it('is revalidated the same way over HTTP/2', async () => {
    const session = http2.connect(server.url);  // h2c with prior knowledge
    const get = (headers) => new Promise((resolve, reject) => {
      const stream = session.request({':path': '/predictwire.js', ...headers});
      let length = 0;
      let answer;
      stream.on('response', (fields) => { answer = fields; });
      stream.on('data', (chunk) => { length += chunk.length; });
      stream.on('end', () => resolve({fields: answer, length}));
      stream.on('error', reject);
    });
    try {
      const first = await get({});
      assert.equal(first.fields[':status'], 200);
      assert.equal(first.fields['content-type'], 'text/javascript; charset=utf-8');
      assert.ok(first.length > 1000);
      const again = await get({'if-none-match': first.fields.etag});
      assert.equal(again.fields[':status'], 304);
      assert.equal(again.fields.etag, first.fields.etag);
      assert.equal(again.length, 0);
    } finally {
      session.close();
    }
  });
});
