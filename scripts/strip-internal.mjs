// Removes `@internal` declarations from the bundled type declarations in dist/, after
// tsup has written them (`npm run build` runs this).
//
// Why not TypeScript's own `stripInternal`: it strips a declaration whose leading comment
// mentions `@internal`, and the leading comment of a file's first import is the file's
// header comment, which in this codebase often ends with `@internal`; the import
// vanishes, and every name it brought in dangles. Here the input is the bundle, where
// imports are gone, so only real declarations and members are looked at:
// - class and interface members (properties, methods, accessors, constructors) marked
//   `@internal` are removed;
// - a top-level declaration marked `@internal` is removed only when nothing left in the
//   file names it (a public signature that uses it keeps it; so does the export list),
//   repeated until nothing changes.
// test/package.test.ts typechecks the result from a consumer project.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const dist = new URL('../dist/', import.meta.url).pathname;

// Only the comment right before a declaration is its documentation (as TypeScript reads
// it): a stray `@internal` comment further up must not take a public member with it (it
// once removed `Cluster.metrics()` from the published types).
function internal(text, node) {
  const last = (ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []).at(-1);
  return last !== undefined && text.slice(last.pos, last.end).includes('@internal');
}

const memberKinds = new Set([
  ts.SyntaxKind.PropertyDeclaration,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
  ts.SyntaxKind.Constructor,
  ts.SyntaxKind.PropertySignature,
  ts.SyntaxKind.MethodSignature,
]);

function declaredName(statement) {
  if (ts.isVariableStatement(statement)) {
    const [decl] = statement.declarationList.declarations;
    return decl && ts.isIdentifier(decl.name) ? decl.name.text : undefined;
  }
  return statement.name && ts.isIdentifier(statement.name) ? statement.name.text : undefined;
}

function occurrences(text, name) {
  return text.match(new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`, 'g'))?.length ?? 0;
}

function strip(text) {
  const sf = ts.createSourceFile('x.d.ts', text, ts.ScriptTarget.Latest, true);
  const cuts = [];
  for (const statement of sf.statements) {
    if (ts.isClassDeclaration(statement) || ts.isInterfaceDeclaration(statement)) {
      for (const member of statement.members) {
        if (memberKinds.has(member.kind) && internal(text, member)) cuts.push([member.getFullStart(), member.end]);
      }
    }
    if (internal(text, statement)) {
      const name = declaredName(statement);
      // Its own declaration mentions the name once (twice with a same-named namespace or
      // overloads: then it stays); any other mention means something still uses it.
      if (name !== undefined && occurrences(text, name) === 1) cuts.push([statement.getFullStart(), statement.end]);
    }
  }
  cuts.sort((a, b) => b[0] - a[0]);
  let out = text;
  let last = Infinity;
  for (const [start, end] of cuts) {
    if (end > last) continue; // a member inside a statement already cut
    out = out.slice(0, start) + out.slice(end);
    last = start;
  }
  return out;
}

let files = 0;
for (const name of readdirSync(dist)) {
  if (!name.endsWith('.d.ts') && !name.endsWith('.d.cts')) continue;
  const path = join(dist, name);
  let text = readFileSync(path, 'utf8');
  for (;;) {
    const next = strip(text);
    if (next === text) break;
    text = next;
  }
  writeFileSync(path, text);
  files++;
}
console.log(`strip-internal: ${files} declaration files`);
