// Run axe-core (WCAG 2.1 A and AA) on HTML files in headless Chromium, in one browser session.
//
//   node tests/browser/axe.mjs page.html [more.html ...]
//
// Uses Debian's `chromium` (or the one named by $CHROMIUM) through playwright-core, with a
// fresh profile in a temporary folder. Prints one JSON report on stdout:
//   {"files": [{"file", "violations": [{"id", "impact", "help", "helpUrl", "nodes": [...]}],
//               "requests": [url, ...], "incomplete": [rule id, ...]}],
//    "violations": N, "requests": N}
// "requests" are the requests a page made for anything but a file:// URL (they are blocked,
// and count as failures: a page referat writes fetches nothing). "incomplete" lists the rules
// axe could not decide (for information only).
// Exit status: 0 when no page has a violation or a request, 1 when one has, 2 when the check
// itself could not run.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
  "--disable-quic",
];
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

function findChromium() {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  try {
    return execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
  } catch {
    return "";
  }
}

// One page, navigated to each file in turn (opening a new tab costs more than axe itself).
async function check(page, requests, file) {
  requests.length = 0;
  await page.goto(pathToFileURL(resolve(file)).href, { waitUntil: "load" });
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags } }),
    TAGS,
  );
  return {
    file,
    violations: results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      helpUrl: v.helpUrl,
      nodes: v.nodes.map((n) => ({
        target: n.target,
        html: n.html,
        failureSummary: n.failureSummary,
      })),
    })),
    requests: [...requests],
    incomplete: results.incomplete.map((r) => r.id),
  };
}

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node axe.mjs FILE.html [FILE.html ...]");
    return 2;
  }
  const executablePath = findChromium();
  if (!executablePath) {
    console.error("axe.mjs: no chromium found (install Debian's chromium, or set $CHROMIUM)");
    return 2;
  }
  const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  const profile = mkdtempSync(join(tmpdir(), "referat-axe-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: FLAGS,
    offline: false,
  });
  try {
    // Nothing but the page itself may load: every other request is recorded and refused.
    await context.route(
      (url) => url.protocol !== "file:",
      (route) => route.abort("blockedbyclient"),
    );
    await context.addInitScript({ content: axeSource });
    const page = context.pages()[0] ?? (await context.newPage());
    const requests = [];
    page.on("request", (request) => {
      const url = request.url();
      if (!url.startsWith("file:") && !requests.includes(url)) requests.push(url);
    });
    const report = { files: [], violations: 0, requests: 0 };
    for (const file of files) {
      const result = await check(page, requests, file);
      report.files.push(result);
      report.violations += result.violations.length;
      report.requests += result.requests.length;
    }
    console.log(JSON.stringify(report, null, 2));
    return report.violations || report.requests ? 1 : 0;
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error) => {
    console.error(`axe.mjs: ${error.stack || error}`);
    process.exitCode = 2;
  },
);
