// The student flow through openapi-fetch typed by openapi-typescript, as an app developer
// writes it. .ci/api-clients generates generated/api.d.ts from the live /api/schema/
// (generate.ts), type-checks this file with `tsc --strict --noEmit`, then runs it against
// the same server. Environment: API_URL, SMS_DIR (SMS_BACKEND=file), SERVICE_TOKEN, PHOTO.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/api.d.ts";

type Schemas = components["schemas"];

// A code that the schema typed as a plain string would make these `false`: tsc fails.
type IsLiteralUnion<T> = string extends T ? false : true;
const voteCodesAreTyped: IsLiteralUnion<Schemas["VoteCastErrorCodeEnum"]> = true;
const errorCodesAreTyped: IsLiteralUnion<Schemas["ErrorCode"]> = true;

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`set ${name}`);
  return value;
}

const API_URL = env("API_URL");
const SMS_DIR = env("SMS_DIR");
const SERVICE_TOKEN = env("SERVICE_TOKEN");
const PHOTO = env("PHOTO");

function check(condition: boolean, what: string): asserts condition {
  if (!condition) {
    console.error(`typescript flow: ${what}`);
    process.exit(1);
  }
  console.log(`  ok  ${what}`);
}

async function smsCode(phone: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    let newest: { at: number; code: string } | undefined;
    for (const name of readdirSync(SMS_DIR)) {
      if (!name.endsWith(".json")) continue;
      const path = join(SMS_DIR, name);
      const message = JSON.parse(readFileSync(path, "utf8")) as { to: string; code: string };
      const at = statSync(path).mtimeMs;
      if (message.to === phone && (!newest || at > newest.at)) newest = { at, code: message.code };
    }
    if (newest) return newest.code;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`no code for ${phone} in ${SMS_DIR}`);
}

const anonymous = createClient<paths>({ baseUrl: API_URL });
const english = createClient<paths>({ baseUrl: API_URL, headers: { "Accept-Language": "en" } });
const now = new Date();

// --- Browse
const campaigns = await anonymous.GET("/api/v1/campaigns/");
check(campaigns.data !== undefined, "campaign list");
const contest = campaigns.data.results.find(
  (c) =>
    c.kind === "contest" &&
    new Date(c.voting_starts_at) <= now &&
    now < new Date(c.voting_ends_at) &&
    new Date(c.submission_starts_at) <= now &&
    now < new Date(c.submission_ends_at),
);
check(contest !== undefined, "a contest open for votes and entries");
const slug = contest.slug;
const detail = await anonymous.GET("/api/v1/campaigns/{slug}/", { params: { path: { slug } } });
check(detail.data !== undefined, `campaign ${slug}`);
const votesPerDay = detail.data.policy.votes_per_day;
const entries = await anonymous.GET("/api/v1/campaigns/{slug}/entries/", {
  params: { path: { slug }, query: { page_size: 100 } },
});
check(
  entries.data !== undefined && entries.data.results.length > votesPerDay,
  `${entries.data?.results.length} entries, ${votesPerDay} votes a day`,
);
const last = await anonymous.GET("/api/v1/campaigns/{slug}/entries/", {
  params: { path: { slug }, query: { page: "last", page_size: 3 } },
});
check(last.data !== undefined && last.data.next === null, "page=last");

// --- Sign in with a share code as ref
const phone = "137" + String(Math.floor(Math.random() * 1e8)).padStart(8, "0");
const bad = await english.POST("/api/v1/auth/otp/", { body: { phone: "+1 202 555 0123" } });
check(
  bad.error?.error.code === "invalid" &&
    bad.error.error.fields !== undefined &&
    "phone" in bad.error.error.fields &&
    !/[\u4e00-\u9fff]/.test(bad.error.error.message),
  `a foreign phone is invalid, in English: ${bad.error?.error.message}`,
);
const sent = await anonymous.POST("/api/v1/auth/otp/", { body: { phone } });
check(sent.response.status === 202 && sent.data?.sent === true, "one-time code requested");
const code = await smsCode("+86" + phone);
const wrong = await anonymous.POST("/api/v1/auth/verify/", {
  body: { phone, code: code === "000000" ? "111111" : "000000" },
});
check(wrong.error?.error.code === "invalid_code", "a wrong code is invalid_code");
const first = entries.data.results[0];
const verified = await anonymous.POST("/api/v1/auth/verify/", {
  body: { phone, code, ref: first.share_code, school: contest.school.slug },
});
check(verified.data?.created === true, "signed in, a new voter");
const voter = createClient<paths>({
  baseUrl: API_URL,
  headers: { Authorization: `Bearer ${verified.data.token}` },
});

// --- Vote to the limit
const votePath = "/api/v1/campaigns/{slug}/entries/{entry_id}/votes/" as const;
const cast = await voter.POST(votePath, {
  params: { path: { slug, entry_id: first.id }, header: { "X-Device-Id": "typescript-flow" } },
});
check(cast.response.status === 201 && cast.data !== undefined, `voted for ${first.id}`);
const again = await voter.POST(votePath, { params: { path: { slug, entry_id: first.id } } });
check(
  again.response.status === 409 && again.error?.error.code === "entry_limit_reached",
  "a second vote for it is entry_limit_reached",
);
let votes = 1;
let limited = false;
for (const entry of entries.data.results.slice(1)) {
  const result = await voter.POST(votePath, { params: { path: { slug, entry_id: entry.id } } });
  if (result.error) {
    check(
      result.error.error.code === "daily_limit_reached" && votes === votesPerDay,
      `vote ${votes + 1} is daily_limit_reached: ${result.error.error.message}`,
    );
    limited = true;
    break;
  }
  check(
    result.data.remaining_today === votesPerDay - votes - 1,
    `voted, ${result.data.remaining_today} left today`,
  );
  votes += 1;
}
check(limited, "the daily limit was reached");

// --- Leaderboard, me
const board = await anonymous.GET("/api/v1/campaigns/{slug}/leaderboard/", {
  params: { path: { slug } },
});
check(board.data?.campaign === slug && Array.isArray(board.data.entries), "leaderboard");
const me = await voter.GET("/api/v1/me/");
check(
  me.data?.channel === "share" && me.data.voter_id === verified.data.voter_id,
  "me: attributed to the share",
);
const mine = await voter.GET("/api/v1/me/votes/");
check(mine.data?.count === votes, `my ${votes} votes`);

// --- Submit an entry (multipart: openapi-fetch sends FormData as it is)
const photo = new Blob([readFileSync(PHOTO)], { type: "image/jpeg" });
const submitted = await voter.POST("/api/v1/campaigns/{slug}/entries/", {
  params: { path: { slug } },
  body: { name: "TypeScript 客户端", caption: "openapi-fetch", photo },
  bodySerializer(body) {
    const form = new FormData();
    form.append("name", body.name);
    if (body.caption !== undefined) form.append("caption", body.caption);
    form.append("photo", body.photo, "photo.jpg");
    return form;
  },
});
check(submitted.data?.status === "pending", `entry ${submitted.data?.id} submitted, pending`);

const poster = await anonymous.GET("/api/v1/campaigns/{slug}/entries/{entry_id}/poster/", {
  params: { path: { slug, entry_id: first.id } },
  headers: { Accept: "image/*" },
  parseAs: "blob",
});
const head = poster.data ? new Uint8Array(await poster.data.arrayBuffer()).slice(0, 2) : [];
check(head[0] === 0xff && head[1] === 0xd8, "share poster for Accept: image/*");

// --- Ingest activity with the service token
const service = createClient<paths>({
  baseUrl: API_URL,
  headers: { Authorization: `Bearer ${SERVICE_TOKEN}` },
});
const day = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(now);
const batch = { events: [{ phone, day, kind: "workout" }] };
const ingested = await service.POST("/api/v1/ingest/activity/", { body: batch });
check(ingested.data?.accepted === 1 && ingested.data.rejected.length === 0, "activity ingested");
const repeated = await service.POST("/api/v1/ingest/activity/", { body: batch });
check(repeated.data?.duplicate === 1, "again: a duplicate");
const refused = await voter.POST("/api/v1/ingest/activity/", { body: batch });
check(
  refused.response.status === 401 &&
    refused.error?.error.code === "not_authenticated" &&
    refused.response.headers.get("WWW-Authenticate") !== null,
  "a voter token cannot ingest",
);

check(voteCodesAreTyped && errorCodesAreTyped, "error codes are typed unions");
console.log("typescript flow: passed");
