/**
 * Every `@example` in the source's TSDoc and every TypeScript sample of the README must
 * compile: the code blocks are extracted into a temporary folder, `tributary-log` is mapped
 * to `src/index.ts`, and `tsc` checks them with the project's strict settings. An example
 * that drifts from the API fails here.
 *
 * Then the README's samples run, as a reader would run them, each in a child process of
 * its own (`node --import tsx`) in a folder where `tributary-log` resolves, by the package's
 * own name, to this repository's source; what each prints is checked against what the
 * README says it prints. A sample that cannot run here (one that needs a remote Kafka)
 * is listed with its reason, so a new sample must be run or explained.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The names each entry exports at run time, for the samples' stand-in package (below). */
const entryNames = {
  index: Object.keys(await import('../src/index.js')).filter((n) => n !== 'default'),
  testing: Object.keys(await import('../src/testing.js')).filter((n) => n !== 'default'),
};

/**
 * A module of the samples' stand-in package: it loads the entry's TypeScript source, and
 * where nothing loads TypeScript in that thread yet (a plain-JavaScript worker, a vitest
 * child, which leaves `node_modules` to Node) it registers tsx there first.
 */
function standIn(entry: keyof typeof entryNames): string {
  const source = pathToFileURL(join(root, 'src', `${entry}.ts`)).href;
  const tsx = pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'esm', 'api', 'index.mjs')).href;
  return [
    'let m;',
    `try { m = await import(${JSON.stringify(source)}); } catch (e) {`,
    "  if (e?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw e;",
    `  const api = await import(${JSON.stringify(tsx)});`,
    '  (api.register ?? api.default.register)();',
    // Another URL than the first attempt's, whose failure Node keeps for that URL.
    `  m = await import(${JSON.stringify(`${source}?tsx`)});`,
    '}',
    `export const { ${entryNames[entry].join(', ')} } = m;`,
    '',
  ].join('\n');
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

interface Example {
  readonly file: string;
  readonly line: number;
  readonly code: string;
}

function examplesIn(file: string): Example[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: Example[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\*\s*@example/.test(lines[i]!)) continue;
    let j = i + 1;
    while (j < lines.length && !/^\s*\*\s*```/.test(lines[j]!)) j++;
    const start = j + 1;
    let k = start;
    while (k < lines.length && !/^\s*\*\s*```/.test(lines[k]!)) k++;
    const code = lines.slice(start, k).map((l) => l.replace(/^\s*\* ?/, '')).join('\n');
    out.push({ file: relative(root, file), line: start + 1, code });
    i = k;
  }
  return out;
}

/** A README sample: a `ts` block with imports, the blocks without imports after it, and the files of the `js` blocks after it (named by their first line, `// NAME.mjs: ...`). */
interface ReadmeSample {
  readonly line: number;
  code: string;
  readonly files: Map<string, string>;
}

function readmeSamples(): ReadmeSample[] {
  const text = readFileSync(join(root, 'README.md'), 'utf8');
  const out: ReadmeSample[] = [];
  for (const m of text.matchAll(/```(ts|js)\n([\s\S]*?)```/g)) {
    const line = text.slice(0, m.index).split('\n').length + 1;
    const code = m[2]!;
    if (m[1] === 'js') {
      const name = /^\/\/ ([\w.-]+\.mjs):/.exec(code)?.[1];
      if (name === undefined || out.length === 0) throw new Error(`README.md:${line}: a js block must follow a ts sample and start with "// NAME.mjs: ..."`);
      out.at(-1)!.files.set(name, code);
    } else if (/^import /m.test(code) || out.length === 0) out.push({ line, code, files: new Map() });
    else out.at(-1)!.code += code;
  }
  return out;
}

describe('TSDoc examples', () => {
  const examples = [
    ...walk(join(root, 'src')).flatMap(examplesIn),
    ...readmeSamples().map((s) => ({ file: 'README.md', line: s.line, code: s.code })),
  ];

  it('exist', () => {
    expect(examples.length).toBeGreaterThan(0);
  });

  it('typecheck against the public API', () => {
    const dir = join(root, '.tmp', 'doc-examples');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const names: string[] = [];
    examples.forEach((ex, n) => {
      const name = `example-${n}.ts`;
      names.push(name);
      // Each example is a module of its own, so top-level await and imports work.
      writeFileSync(join(dir, name), `// ${ex.file}:${ex.line}\n${ex.code}\nexport {};\n`);
    });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.json',
        compilerOptions: { noEmit: true, noUnusedLocals: false, paths: { 'tributary-log': ['../../src/index.ts'], 'tributary-log/testing': ['../../src/testing.ts'] } },
        include: names,
      }),
    );
    let output = '';
    try {
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
    } catch (err) {
      output = String((err as { stdout?: string }).stdout ?? err);
    }
    // Point each error back at the example's source line.
    const mapped = output.replace(/example-(\d+)\.ts\((\d+),(\d+)\)/g, (_, n: string, l: string) => {
      const ex = examples[Number(n)]!;
      return `${ex.file}:${ex.line + Number(l) - 2}`;
    });
    expect(mapped).toBe('');
  }, 120_000);
});

describe('TSDoc on the public API', () => {
  it('every public member of every exported class has TSDoc a user sees on hover (its own, or the interface or base class it implements)', async () => {
    const ts = (await import('typescript')).default;
    const entries = [join(root, 'src', 'index.ts'), join(root, 'src', 'testing.ts')];
    const program = ts.createProgram(entries, { strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, noEmit: true });
    const checker = program.getTypeChecker();
    const undocumented = new Set<string>();
    let checked = 0;
    for (const entry of entries) {
      for (let symbol of checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entry)!)!)) {
        if (symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
        if (!(symbol.flags & ts.SymbolFlags.Class)) continue;
        const declaration = symbol.declarations!.find(ts.isClassDeclaration)!;
        const file = relative(root, declaration.getSourceFile().fileName);
        for (const member of declaration.members) {
          if (ts.isConstructorDeclaration(member) || ts.isClassStaticBlockDeclaration(member) || ts.isSemicolonClassElement(member) || ts.isIndexSignatureDeclaration(member)) continue;
          if (member.name === undefined || ts.isPrivateIdentifier(member.name)) continue;
          if (ts.getCombinedModifierFlags(member) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
          if (ts.getJSDocTags(member).some((t) => t.tagName.text === 'internal')) continue;
          const own = checker.getSymbolAtLocation(member.name);
          checked++;
          // Overloads share one symbol: the documentation of any of them shows.
          if (own !== undefined && own.getDocumentationComment(checker).length > 0) continue;
          undocumented.add(`${symbol.name}.${member.name.getText()} (${file}:${declaration.getSourceFile().getLineAndCharacterOfPosition(member.getStart()).line + 1})`);
        }
      }
    }
    expect([...undocumented]).toEqual([]);
    expect(checked).toBeGreaterThan(200);
  }, 120_000);
});

/** What a sample run did. */
interface Ran {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly out: string;
  readonly err: string;
}

/**
 * A folder under `.tmp/` where `tributary-log` and `tributary-log/testing` resolve by name
 * to this repository's source (a package of two re-exports in its `node_modules`), for
 * TypeScript and plain JavaScript files alike, in the main thread and in workers; other
 * packages (kafkajs, pino, vitest) resolve from the repository's `node_modules` above it.
 */
function sampleFolder(name: string): string {
  const base = join(root, '.tmp', 'readme-samples');
  const pkg = join(base, 'node_modules', 'tributary-log');
  mkdirSync(pkg, { recursive: true });
  // The samples' own package.json: without it Node resolves `tributary-log` inside this
  // repository to the repository itself (a package's self-reference, before node_modules),
  // that is to its built dist/, stale or missing in a fresh clone.
  writeFileSync(join(base, 'package.json'), JSON.stringify({ name: 'readme-samples', private: true, type: 'module' }));
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'tributary-log', type: 'module', exports: { '.': './index.js', './testing': './testing.js' } }));
  writeFileSync(join(pkg, 'index.js'), standIn('index'));
  writeFileSync(join(pkg, 'testing.js'), standIn('testing'));
  const dir = join(base, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Runs `args` with node (or `command`) in `dir`. `onOut` sees stdout as it grows and may act on the child
 * (send it a signal). No wall-clock bound here: the test's timeout is the bound.
 */
function runNode(dir: string, args: readonly string[], onOut?: (out: string, child: ReturnType<typeof spawn>) => void, command = process.execPath): Promise<Ran> {
  const child = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
  running.add(child);
  child.on('exit', () => running.delete(child));
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => {
    out += String(d);
    onOut?.(out, child);
  });
  child.stderr.on('data', (d) => (err += String(d)));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, out, err }));
  });
}

/**
 * The children still running. A test that fails or times out while its sample runs (the
 * "Using it" sample runs until its SIGTERM) would leave the child, a cluster and its
 * data folder behind; after each test they are killed, and the samples' folder goes at the end.
 */
const running = new Set<ReturnType<typeof spawn>>();
afterEach(() => {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
});
afterAll(() => rmSync(join(root, '.tmp', 'readme-samples'), { recursive: true, force: true }));

/** Writes the sample (and its js files) into a fresh folder and runs it with tsx. */
async function runSample(name: string, sample: ReadmeSample, code = sample.code, onOut?: (out: string, child: ReturnType<typeof spawn>) => void): Promise<Ran & { dir: string }> {
  const dir = sampleFolder(name);
  writeFileSync(join(dir, 'sample.mts'), code);
  for (const [file, text] of sample.files) writeFileSync(join(dir, file), text);
  return { dir, ...(await runNode(dir, ['--import', 'tsx', 'sample.mts'], onOut)) };
}

describe('README samples, run as written', () => {
  const samples = readmeSamples();
  /** The one sample with `marker` in its code. */
  const sample = (marker: string): ReadmeSample => {
    const found = samples.filter((s) => s.code.includes(marker));
    expect(found.length, `README samples containing ${marker}`).toBe(1);
    return found[0]!;
  };
  const markers = {
    usingIt: 'omit dataDir: a temporary folder',
    testing: "from 'vitest'",
    simulatedTime: 'driveClock(clock)',
    threads: 'createHandle()',
    kafkajs: "from 'kafkajs'",
    logs: "from 'pino'",
  };
  /** Samples that do not run here, each with its reason (they still typecheck above). */
  const notRun = {
    remoteKafka: "bootstrapServers: 'kafka-1:9092",
  };

  it('each sample is run below or listed with the reason it is not', () => {
    const known = [...Object.values(markers), ...Object.values(notRun)];
    const unclassified = samples.filter((s) => !known.some((m) => s.code.includes(m))).map((s) => `README.md:${s.line}`);
    expect(unclassified).toEqual([]);
    expect(samples.length).toBe(known.length);
  });

  it('"Using it": prints the record it sent, then the consumer group runs until SIGTERM closes it, and the process exits 0', async () => {
    const s = sample(markers.usingIt);
    // The reader's SIGTERM arrives once the handler is installed: one line of the test's own
    // after the sample's `process.once('SIGTERM', ...)` says so.
    const lines = s.code.split('\n');
    const at = lines.findIndex((l) => l.startsWith("process.once('SIGTERM'"));
    expect(at).toBeGreaterThan(0);
    lines.splice(at + 1, 0, "console.log('sigterm handler installed');");
    let signalled = false;
    const ran = await runSample('using-it', s, lines.join('\n'), (out, child) => {
      if (!signalled && out.includes('sigterm handler installed\n')) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
    expect(ran.err).toBe('');
    // `console.log(order.partition, order.offset, order.value?.total)`: one of 6 partitions, the first offset, the total sent.
    expect(ran.out).toMatch(/^[0-5] 0 9\.5\nsigterm handler installed\n$/);
    expect([ran.code, ran.signal]).toEqual([0, null]);
  }, 180_000);

  it('"In tests": the vitest sample passes under vitest', async () => {
    const s = sample(markers.testing);
    const dir = sampleFolder('testing');
    writeFileSync(join(dir, 'readme.test.ts'), s.code);
    // A config of its own, or vitest would find the repository's above the folder.
    writeFileSync(join(dir, 'vitest.config.mjs'), "export default { test: { include: ['readme.test.ts'], testTimeout: 120000, hookTimeout: 120000 } };\n");
    const ran = await runNode(dir, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--root', dir, '--config', join(dir, 'vitest.config.mjs'), '--reporter', 'verbose']);
    expect(ran.out + ran.err).toMatch(/survives a leader kill/);
    expect(ran.out + ran.err).toMatch(/1 passed/);
    expect(ran.code).toBe(0);
  }, 180_000);

  it('"simulated time", "Any Kafka client" and "Logs, events and metrics" run and exit 0 without a word on stderr', async () => {
    for (const [name, marker] of [['simulated-time', markers.simulatedTime], ['kafkajs', markers.kafkajs]] as const) {
      const ran = await runSample(name, sample(marker));
      expect({ name, ...ran, dir: undefined }).toEqual({ name, code: 0, signal: null, out: '', err: '', dir: undefined });
    }
    // The logs sample keeps its data in ./data and creates its topics there: its second
    // start, on the same folder, finds them (`ifNotExists`) and runs as well. pino logs on stdout.
    const s = sample(markers.logs);
    const first = await runSample('logs', s);
    expect([first.code, first.err]).toEqual([0, '']);
    expect(first.out).toMatch(/"msg":"cluster started: 1 node\(s\)/);
    const again = await runNode(first.dir, ['--import', 'tsx', 'sample.mts']);
    expect([again.code, again.err]).toEqual([0, '']);
    expect(again.out).toMatch(/"msg":"cluster started: 1 node\(s\)/);
  }, 180_000);

  it('"Across worker threads": the worker connects the handle and reads what the calling thread sent', async () => {
    const s = sample(markers.threads);
    expect([...s.files.keys()]).toEqual(['consumer.mjs']);
    const ran = await runSample('threads', s);
    expect(ran.err).toBe('');
    // The line the README's comment says it prints.
    const promised = /\/\/ (worker read .*)$/m.exec(s.files.get('consumer.mjs')!)?.[1];
    expect(promised).toBe('worker read customer-42: o-1 at offset 0');
    expect(ran.out).toBe(`${promised}\n`);
    expect(ran.code).toBe(0);
  }, 180_000);
});

describe('examples/, run as the README says (npx tsx examples/NAME.ts)', () => {
  // Each says what it shows on its last line; a run that fails or loses data exits non-zero.
  for (const [name, last] of [
    ['partition-log', /^ok: every record came back/],
    ['pubsub-service', /^after a restart: read 100 orders/],
    ['demo', /^ok: nothing acknowledged was lost/],
  ] as const) {
    it(`${name}.ts runs and exits 0`, async () => {
      const ran = await runNode(root, ['--import', 'tsx', join('examples', `${name}.ts`)]);
      // The demo kills a node: the cluster's warning that it was fenced is what a reader should see.
      expect(ran.err.split('\n').filter((l) => l !== '' && !(name === 'demo' && /^\[tributary\] node \d fenced: no heartbeat/.test(l)))).toEqual([]);
      expect(ran.out.trimEnd().split('\n').at(-1)).toMatch(last);
      expect([ran.code, ran.signal]).toEqual([0, null]);
    }, 180_000);
  }
});

describe('README command lines, run as written', () => {
  const hasJq = (() => {
    try {
      execFileSync('jq', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  // The README pipes into jq; without jq on the machine there is nothing to run it with.
  it.skipIf(!hasJq)('the produce and consume lines pipe two records in and their values out', async () => {
    const text = readFileSync(join(root, 'README.md'), 'utf8');
    const block = [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('npx tributary produce'));
    expect(block).toBeDefined();
    const { Cluster } = await import('../src/index.js');
    await using cluster = await Cluster.start({ listen: { port: 0 } });
    const [bootstrap] = cluster.bootstrapServers.split(',');
    // `npx tributary` is the bin; here it is the source's entry point, and 127.0.0.1:9092 the served cluster.
    const script = `tributary() { "${process.execPath}" --import tsx "${join(root, 'src', 'cli', 'main.ts')}" "$@"; }\nset -eo pipefail\n${block!.replaceAll('npx tributary', 'tributary').replaceAll('127.0.0.1:9092', bootstrap!)}`;
    const dir = sampleFolder('command-lines');
    const ran = await runNode(dir, ['-c', script], undefined, 'bash');
    expect(ran.err).toBe('');
    expect(ran.out).toBe('hello\nworld\n');
    expect(ran.code).toBe(0);
  }, 180_000);
});

describe('docs/kafka-names.md', () => {
  /** The table rows of each `## ... : \`cluster.X(...)\`` section, as [Kafka column, Tributary column]. */
  function sections(): { factory: string; rows: [string, string][] }[] {
    const text = readFileSync(join(root, 'docs', 'kafka-names.md'), 'utf8');
    return text.split(/^## /m).slice(1).map((s) => {
      const factory = /`cluster\.(\w+)\(/.exec(s.split('\n')[0]!)![1]!;
      const rows = s.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---') && !l.startsWith('| Kafka'))
        .map((l) => l.slice(2, -2).split(/ (?<!\\)\| /) as [string, string]);
      return { factory, rows };
    });
  }
  const ticks = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

  it('names only methods and options the clients have: each method exists, each option is known', async () => {
    const { Cluster } = await import('../src/index.js');
    await using cluster = await Cluster.start();
    await cluster.admin().createTopics([{ name: 'names' }]);
    const make = (factory: string, options: Record<string, unknown>): unknown => {
      if (factory === 'consumerGroup') return cluster.consumerGroup({ groupId: 'names', topics: ['names'], ...options } as never);
      return (cluster as unknown as Record<string, (o: unknown) => unknown>)[factory]!(options);
    };
    const found = sections();
    expect(found.map((s) => s.factory)).toEqual(['producer', 'consumer', 'consumerGroup', 'admin']);
    const missing: string[] = [];
    let checked = 0;
    for (const { factory, rows } of found) {
      const client = make(factory, {}) as Record<string, unknown> & { close(): unknown };
      for (const [kafka, ours] of rows) {
        // "the same names": the Kafka column's names are ours too.
        const tokens = ours.startsWith('the same names') ? [...ticks(kafka), ...ticks(ours)] : ticks(ours);
        for (const token of tokens) {
          const call = /^(?:await )?(?:(cluster|admin\(\)|group|consumer|producer)\.)?(\w+)\(/.exec(token);
          if (call !== null) {
            const owner = call[1] === 'cluster' ? cluster : call[1] === 'admin()' ? cluster.admin() : client;
            checked++;
            if (typeof (owner as unknown as Record<string, unknown>)[call[2]!] !== 'function') missing.push(`${factory}: ${token} (no method ${call[2]})`);
          } else if (/^[a-z]\w*$/.test(token)) {
            // A bare name is an option (or, for "the same names", a method): a probe value
            // is refused for its value, never as an unknown option.
            if (typeof client[token] === 'function') {
              checked++;
              continue;
            }
            checked++;
            let message = '';
            try {
              const made = make(factory, { [token]: Symbol('probe') }) as { close(): unknown };
              await made.close();
            } catch (err) {
              message = (err as Error).message;
            }
            // The client's words may be more than one ("is not a consumer group option").
            if (/is not an? [a-z]+(?: [a-z]+)* option/.test(message)) missing.push(`${factory}: option ${token}: ${message}`);
          }
        }
      }
      await client.close();
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(60);
  }, 120_000);
});

describe('what README.md and docs/*.md point at', () => {
  const pages = ['README.md', ...readdirSync(join(root, 'docs')).filter((n) => n.endsWith('.md')).map((n) => `docs/${n}`)];

  it('every file and folder they name exists (paths from the repository root; a bare file name in one of the folders they cite)', () => {
    const folders = ['', 'bench/results', 'docs', 'docs/design', 'examples', 'src', 'test', 'scripts'];
    const generated = (JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as { out: string }).out;
    const missing: string[] = [];
    let checked = 0;
    for (const page of pages) {
      const raw = readFileSync(join(root, page), 'utf8');
      const text = raw.replace(/```[\s\S]*?```/g, '');
      const named = [...text.matchAll(/`([^`\s]+)`/g), ...text.matchAll(/\]\(([^)\s#]+)[^)]*\)/g)].map((m) => m[1]!);
      for (const name of named) {
        if (/^[a-z]+:/.test(name) || /[<>*|]/.test(name)) continue; // a URL, or a pattern such as bench/results/<date>.md
        if (name.replace(/\/$/, '') === generated) continue; // made by `npm run docs`
        const isPath = /^(src|test|bench|docs|examples|scripts)\/[\w./-]*$/.test(name);
        const isFile = /^[\w.-]+\.(md|ts|mjs|json)$/.test(name) && !name.startsWith('.');
        if (!isPath && !isFile) continue;
        checked++;
        const found = isPath ? statSafe(join(root, name)) : folders.some((f) => statSafe(join(root, f, name)));
        // A README sample's own file (the worker's consumer.mjs) is written by the sample.
        if (!found && !raw.includes(`\n// ${name}:`)) missing.push(`${page}: ${name}`);
      }
    }
    expect(missing).toEqual([]);
    expect(checked).toBeGreaterThan(20);
  });

  it("the Scripts table's flags are ones its scripts read, and `sim --only` lists every simulation", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const rows = readme.slice(readme.indexOf('## Scripts')).split('\n').filter((l) => l.startsWith('| `npm run '));
    expect(rows.length).toBeGreaterThanOrEqual(5);
    const unknown: string[] = [];
    for (const row of rows) {
      const script = /^\| `npm run ([\w:]+)/.exec(row)![1]!;
      expect(scripts[script], `package.json script ${script}`).toBeDefined();
      const file = /tsx(?: --[\w-]+)* (\S+\.ts)/.exec(scripts[script]!)?.[1];
      if (file === undefined) continue; // build, docs: not a script of ours
      const source = readFileSync(join(root, file), 'utf8');
      for (const [, flag] of row.matchAll(/--([a-z][\w-]*)/g)) if (!source.includes(`--${flag}`) && !new RegExp(`\\b${flag}\\s*:\\s*\\{`).test(source) && !source.includes(`arg('${flag}')`)) unknown.push(`${script}: --${flag}`);
      const only = /--only ([\w|\\-]+\\\|[\w|\\-]+)/.exec(row)?.[1];
      if (script === 'sim') {
        const listed = only!.split('\\|').sort();
        const sims = /const sims: Record<string, Sim> = \{([^}]*)\}/.exec(source)![1]!.split(',').map((e) => e.split(':')[0]!.trim().replace(/'/g, '')).sort();
        expect(listed).toEqual(sims);
      }
    }
    expect(unknown).toEqual([]);
  });
});

function statSafe(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}
