// The page's CSP and CloudFront's header carry the same policy, and nothing in the
// dashboard needs what the policy forbids (inline code, inline styles, HTML from strings).

import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const WEB = new URL("..", import.meta.url).pathname;
const ROOT = new URL("../..", import.meta.url).pathname;
const html = readFileSync(join(WEB, "index.html"), "utf8");

function metaPolicy() {
  const match = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
  assert.ok(match, "index.html has a CSP <meta>");
  return match[1];
}

/** CloudFront's policies: one with PublicApiUrl, one without (the template's !If). */
function headerPolicies() {
  const template = readFileSync(join(ROOT, "template.yaml"), "utf8");
  const start = template.indexOf("  DashboardSecurityHeaders:");
  assert.ok(start > 0, "template.yaml defines DashboardSecurityHeaders");
  const section = template.slice(start, template.indexOf("\n  DashboardDistribution:", start));
  const policies = [...section.matchAll(/- !Sub "([^"]+)"/g)].map((match) => match[1]);
  assert.equal(policies.length, 2, "DashboardSecurityHeaders has a policy with PublicApiUrl and one without");
  return policies;
}

function directives(policy) {
  return Object.fromEntries(
    policy
      .split(";")
      .map((part) => part.trim())
      .filter(Boolean)
      .map((part) => {
        const [name, ...values] = part.split(/\s+/);
        return [name, values];
      }),
  );
}

test("CloudFront sends the page's policy, plus frame-ancestors and a connect-src naming the API and Cognito", () => {
  const page = directives(metaPolicy());
  const [withApiUrl, withoutApiUrl] = headerPolicies().map(directives);
  for (const header of [withApiUrl, withoutApiUrl]) {
    const { "connect-src": connect, "frame-ancestors": ancestors, ...rest } = header;
    const { "connect-src": _, ...pageRest } = page;
    assert.deepEqual(rest, pageRest);
    assert.deepEqual(ancestors, ["'none'"]);
    assert.equal(connect[0], "'self'");
    assert.equal(connect.at(-1), "https://cognito-idp.${AWS::Region}.amazonaws.com");
    assert.equal(connect.length, 3);
    assert.ok(!connect.includes("https:"), "no origin-wide https:");
    assert.ok(!connect.some((source) => source.startsWith("http://")), "no loopback in production");
  }
  assert.equal(withApiUrl["connect-src"][1], "${PublicApiUrl}");
  assert.equal(withoutApiUrl["connect-src"][1], "https://*.execute-api.${AWS::Region}.amazonaws.com");
});

test("the policy is strict: scripts and styles from this origin only, nothing embedded", () => {
  const policy = directives(metaPolicy());
  assert.deepEqual(policy["default-src"], ["'none'"]);
  assert.deepEqual(policy["script-src"], ["'self'"]);
  assert.deepEqual(policy["style-src"], ["'self'"]);
  assert.deepEqual(policy["img-src"], ["'self'", "blob:"]);
  assert.deepEqual(policy["object-src"], ["'none'"]);
  assert.deepEqual(policy["base-uri"], ["'none'"]);
  for (const values of Object.values(policy)) {
    for (const value of values) assert.ok(!/unsafe|data:|\*$/.test(value) || value.startsWith("http://"), value);
  }
  assert.ok(!("frame-ancestors" in policy), "frame-ancestors is ignored in <meta>; the header carries it");
});

test("index.html has no inline script, style or event handler", () => {
  for (const script of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)) {
    assert.match(script[1], /\bsrc="/, "every <script> has a src");
    assert.equal(script[2].trim(), "", "no inline script code");
  }
  assert.doesNotMatch(html, /<style\b/);
  assert.doesNotMatch(html, /\sstyle="/);
  assert.doesNotMatch(html, /\son[a-z]+="/);
});

function sources(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".js") ? [path] : [];
  });
}

test("no module builds HTML from strings or evaluates code", () => {
  for (const path of sources(join(WEB, "js"))) {
    const code = readFileSync(path, "utf8");
    for (const forbidden of [/\.innerHTML\b/, /\.outerHTML\b/, /insertAdjacentHTML/, /document\.write/, /\beval\(/, /new Function\(/, /setAttribute\(\s*["']style/]) {
      assert.doesNotMatch(code, forbidden, `${path} uses ${forbidden}`);
    }
  }
});
