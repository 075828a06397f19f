// Finds a Node.js binary that can load uWebSockets.js.
//
// The published uWebSockets.js binaries need glibc 2.38 or newer. On an older
// host (Debian 12 has 2.36) we unpack Debian 13's libc6 into a project-local
// cache and run a copy of node whose ELF interpreter and runpath point at it.
// System libraries are never touched. Where the host is new enough, the host's
// node is used as is.
import { spawnSync, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, '.cache', 'glibc-compat');
const compatNode = join(cacheDir, 'bin', 'node');
const compatSuite = 'trixie';

/** @param {string} nodePath @returns {string} empty when uWebSockets.js loads, else the loader's error */
function uwsLoadError(nodePath) {
  const probe = spawnSync(nodePath, ['-e', "require('uWebSockets.js')"], { cwd: root, encoding: 'utf8' });
  return probe.status === 0 ? '' : probe.stderr || `exit code ${probe.status}`;
}

/** The Debian archive the host's apt already uses, read from its sources (deb822 or one-line). */
function hostDebianArchive() {
  const dir = '/etc/apt/sources.list.d';
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sources') || f.endsWith('.list')) : [];
  const texts = [...files.map((f) => join(dir, f)), '/etc/apt/sources.list']
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f, 'utf8'));
  for (const text of texts) {
    const [, uri = '', suites = ''] = /^URIs:\s*(\S+)[\s\S]*?^Suites:\s*([^\n]+)/m.exec(text) ?? [];
    if (/\b(bookworm|trixie|stable)\b/.test(suites) && !uri.includes('security')) return uri;
    const [, lineUri = ''] = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(?:bookworm|trixie|stable)\s/m.exec(text) ?? [];
    if (lineUri && !lineUri.includes('security')) return lineUri;
  }
  throw new Error('no Debian archive found in the apt sources of this host');
}

/**
 * Runs a command quietly; its output is shown only if it fails.
 * @param {string} command @param {string[]} args @param {import('node:child_process').ExecFileSyncOptions} [options]
 */
function run(command, args, options = {}) {
  execFileSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

function ensurePatchelf() {
  if (spawnSync('patchelf', ['--version']).status === 0) return;
  if (spawnSync('apt-get', ['install', '-y', '-qq', 'patchelf'], { stdio: 'ignore' }).status === 0) return;
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', 'patchelf']);
}

function prepareCompatNode() {
  rmSync(cacheDir, { recursive: true, force: true });
  const apt = join(cacheDir, 'apt');
  mkdirSync(join(apt, 'lists', 'partial'), { recursive: true });
  mkdirSync(join(apt, 'archives', 'partial'), { recursive: true });
  const sourceList = join(apt, 'sources.list');
  writeFileSync(
    sourceList,
    `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${hostDebianArchive()} ${compatSuite} main\n`,
  );
  const aptOptions = [
    `-o`,
    `Dir::Etc::SourceList=${sourceList}`,
    `-o`,
    `Dir::Etc::SourceParts=/dev/null`,
    `-o`,
    `Dir::State::Lists=${join(apt, 'lists')}`,
    `-o`,
    `Dir::Cache=${apt}`,
    `-o`,
    `Debug::NoLocking=1`,
    `-qq`,
  ];
  run('apt-get', [...aptOptions, 'update']);
  run('apt-get', [...aptOptions, 'download', `libc6/${compatSuite}`], { cwd: apt });
  const deb = readdirSync(apt).find((f) => f.startsWith('libc6_') && f.endsWith('.deb'));
  if (!deb) throw new Error('libc6 package was not downloaded');
  const libcRoot = join(cacheDir, 'root');
  run('dpkg', ['-x', join(apt, deb), libcRoot]);
  const libDir = join(libcRoot, 'usr', 'lib', 'x86_64-linux-gnu');
  ensurePatchelf();
  mkdirSync(dirname(compatNode), { recursive: true });
  copyFileSync(process.execPath, compatNode);
  run('patchelf', [
    '--set-interpreter',
    join(libDir, 'ld-linux-x86-64.so.2'),
    '--force-rpath',
    '--set-rpath',
    libDir,
    compatNode,
  ]);
  rmSync(apt, { recursive: true, force: true });
}

/**
 * Returns the path of a node binary that loads uWebSockets.js, preparing the
 * compat runtime once if the host's glibc is too old. Throws with a clear
 * message when neither works.
 */
export function relayNode() {
  const hostError = uwsLoadError(process.execPath);
  if (!hostError) return process.execPath;
  if (!/GLIBC_2\.\d+' not found/.test(hostError)) {
    throw new Error(`uWebSockets.js cannot be loaded by ${process.execPath}:\n${hostError}`);
  }
  if (!existsSync(compatNode) || uwsLoadError(compatNode)) {
    console.log(
      `onetimechat: host glibc is too old for uWebSockets.js; preparing Debian ${compatSuite}'s glibc in ${cacheDir}`,
    );
    prepareCompatNode();
  }
  const compatError = uwsLoadError(compatNode);
  if (compatError) throw new Error(`uWebSockets.js cannot be loaded even with the compat runtime:\n${compatError}`);
  return compatNode;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(relayNode());
}
