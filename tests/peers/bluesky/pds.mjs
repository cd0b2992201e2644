// A throwaway Bluesky PDS for Maillon's adapter tests: the reference server
// (@atproto/pds) with its own in-memory PLC directory, listening on loopback
// only. Started by tests/peers/bluesky_pds.py; run by hand with
//   node tests/peers/bluesky/pds.mjs
//
// Both servers bind 127.0.0.1 on a port the system picks (or PLC_PORT /
// PDS_PORT when set), and the runner prints one JSON line once both answer:
//   {"plc": "http://127.0.0.1:…", "pds": "http://127.0.0.1:…", "data": "…"}
// SIGTERM or SIGINT stops both and removes a data folder the runner made.
//
// PDS_DATA   data folder (SQLite files, blobs); must be empty or new. Without
//            it a temporary folder is made and removed at exit. A folder left
//            from an earlier run is no use: the PLC directory lives in memory,
//            so the old accounts' DIDs would no longer resolve.
// PDS_RATE_LIMITS=true  enforce the real rate limits (429 with ratelimit-*).
// PDS_STOP_WITH_STDIN=true  also stop when standard input closes.
import { once } from 'node:events'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { Secp256k1Keypair } from '@atproto/crypto'
import * as pds from '@atproto/pds'
import * as plc from '@did-plc/server'

const LOOPBACK = '127.0.0.1'

// Listen before configuring, so the port is known and nobody can take it in
// between. Passing the host keeps Node from listening on every interface.
async function listenOnLoopback(wanted) {
  const server = http.createServer()
  server.listen(Number(wanted) || 0, LOOPBACK)
  await once(server, 'listening')
  return server
}

const ownData = !process.env.PDS_DATA
const dataDir = ownData
  ? fs.mkdtempSync(path.join(os.tmpdir(), 'maillon-pds-'))
  : path.resolve(process.env.PDS_DATA)
fs.mkdirSync(dataDir, { recursive: true }) // the PDS expects it to exist

// The PLC directory: where the PDS registers each new account's did:plc.
const plcHttp = await listenOnLoopback(process.env.PLC_PORT)
const plcUrl = `http://${LOOPBACK}:${plcHttp.address().port}`
const directory = plc.PlcServer.create({ db: plc.Database.mock() })
plcHttp.on('request', directory.app)

// The PDS itself, in dev mode (plain http, .test handles, no invite codes).
// No AppView and no moderation service exist here: both point at the discard
// port, so app.bsky.* reads answer 502 UpstreamFailure as documented.
const pdsHttp = await listenOnLoopback(process.env.PDS_PORT)
const pdsPort = pdsHttp.address().port
const rotationKey = await Secp256k1Keypair.create({ exportable: true })
const recoveryKey = await Secp256k1Keypair.create()
const settings = {
  devMode: true,
  hostname: 'localhost',
  port: pdsPort,
  dataDirectory: dataDir,
  blobstoreDiskLocation: path.join(dataDir, 'blobs'),
  blobstoreDiskTmpLocation: path.join(dataDir, 'blobs-tmp'),
  didPlcUrl: plcUrl,
  serviceHandleDomains: ['.test'],
  inviteRequired: false,
  jwtSecret: 'maillon-test-jwt-secret',
  adminPassword: 'maillon-test-admin',
  recoveryDidKey: recoveryKey.did(),
  plcRotationKeyK256PrivateKeyHex: Buffer.from(await rotationKey.export()).toString('hex'),
  bskyAppViewUrl: `http://${LOOPBACK}:9`,
  bskyAppViewDid: 'did:example:no-appview',
  modServiceUrl: `http://${LOOPBACK}:9`,
  modServiceDid: 'did:example:no-moderation',
  rateLimitsEnabled: process.env.PDS_RATE_LIMITS === 'true',
}
const server = await pds.PDS.create(pds.envToCfg(settings), pds.envToSecrets(settings))
await server.ctx.sequencer.start()
// PDS.start() would call app.listen(port) on every interface; attach instead.
pdsHttp.on('request', server.app)

let stopping = false
async function stop() {
  if (stopping) return
  stopping = true
  for (const listener of [pdsHttp, plcHttp]) {
    listener.close()
    listener.closeAllConnections()
  }
  try {
    await server.ctx.destroy()
  } finally {
    if (ownData) fs.rmSync(dataDir, { recursive: true, force: true })
    process.exit(0)
  }
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
if (process.env.PDS_STOP_WITH_STDIN === 'true') {
  // The test run holds our stdin open; if it dies without stopping us, the
  // pipe closes and we go too instead of lingering on the ports.
  process.stdin.on('end', stop)
  process.stdin.resume()
}

const pdsUrl = `http://${LOOPBACK}:${pdsPort}`
console.log(JSON.stringify({ plc: plcUrl, pds: pdsUrl, data: dataDir }))
