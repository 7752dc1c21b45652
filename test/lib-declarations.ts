// lib/ as the TypeScript checker reads it, for tests of the API reference:
// the declarations of the public API, their doc comments, and what code a
// declaration reaches (the calls it makes, followed through lib/).
import { join, relative, sep } from 'node:path'
import ts from 'typescript'
import { blockTags, type BlockTag } from './doc-comments.js'
import { repoRoot } from './helpers.js'

const libDir = join(repoRoot, 'lib') + sep
const config = ts.getParsedCommandLineOfConfigFile(
  join(repoRoot, 'tsconfig.json'),
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'))
    },
  },
)!
const program = ts.createProgram({ rootNames: [join(libDir, 'index.ts')], options: config.options })
const checker = program.getTypeChecker()
export const libSources = program.getSourceFiles().filter((file) => file.fileName.startsWith(libDir))

const inLib = (node: ts.Node) => node.getSourceFile().fileName.startsWith(libDir)

function declarationsOf(name: ts.Node): ts.Declaration[] {
  let symbol = checker.getSymbolAtLocation(name)
  if (symbol !== undefined && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol)
  return symbol?.declarations ?? []
}

/** A declaration's doc comment, as written, and the line it starts on. */
function docComment(node: ts.Node): { text: string; line: number } | undefined {
  const doc = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc).at(-1)
  if (doc === undefined) return undefined
  const file = node.getSourceFile()
  return { text: file.text.slice(doc.pos, doc.end), line: file.getLineAndCharacterOfPosition(doc.pos).line + 1 }
}

export const tagsOf = (node: ts.Node): BlockTag[] => {
  const comment = docComment(node)
  return comment === undefined ? [] : blockTags(comment.text, comment.line)
}

export function nameOf(node: ts.Node): string {
  const own = ts.isConstructorDeclaration(node) ? 'constructor' : ((node as ts.NamedDeclaration).name?.getText() ?? '?')
  const owner = node.parent
  return (ts.isClassDeclaration(owner) || ts.isInterfaceDeclaration(owner)) && owner.name
    ? `${owner.name.text}.${own}`
    : own
}

export const where = (node: ts.Node) =>
  `${relative(repoRoot, node.getSourceFile().fileName)}:${node.getSourceFile().getLineAndCharacterOfPosition(node.getStart()).line + 1} ${nameOf(node)}`

const isInternal = (node: ts.Node) => tagsOf(node).some((tag) => tag.name === 'internal')
const isPrivate = (member: ts.ClassElement) =>
  (member.name !== undefined && ts.isPrivateIdentifier(member.name)) ||
  (ts.getCombinedModifierFlags(member) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) !== 0
const extendsError = (node: ts.ClassDeclaration) =>
  node.heritageClauses?.some((clause) => clause.types.some((type) => type.expression.getText() === 'Error')) === true

/** The declarations of the public API whose pages a user reads for how to call them, by the export they belong to. */
export function publicCalls(): Map<ts.Node, string> {
  const index = libSources.find((file) => file.fileName === join(libDir, 'index.ts'))!
  const calls = new Map<ts.Node, string>()
  for (const exported of checker.getExportsOfModule(checker.getSymbolAtLocation(index)!)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    const add = (node: ts.Node) => calls.has(node) || calls.set(node, exported.name)
    const functions = (symbol.declarations ?? []).filter(ts.isFunctionDeclaration)
    // Overloads: each signature has its page; the implementation has none.
    const signatures = functions.filter((fn) => fn.body === undefined)
    for (const fn of signatures.length > 0 ? signatures : functions) add(fn)
    for (const declaration of symbol.declarations ?? []) {
      if (ts.isClassDeclaration(declaration)) {
        add(declaration)
        // An error's constructor is the library's to call; its class page shows the error.
        for (const member of declaration.members.filter(ts.isConstructorDeclaration))
          if (!extendsError(declaration) && !isPrivate(member) && !isInternal(member)) add(member)
        // Methods and accessors, static and inherited ones too (a base class's show on each page).
        const sides = [checker.getDeclaredTypeOfSymbol(symbol), checker.getTypeOfSymbolAtLocation(symbol, declaration)]
        for (const member of sides
          .flatMap((side) => checker.getPropertiesOfType(side))
          .flatMap((property) => property.declarations ?? [])) {
          if (!(ts.isMethodDeclaration(member) || ts.isGetAccessorDeclaration(member)) || !inLib(member)) continue
          if (!isPrivate(member) && !isInternal(member)) add(member)
        }
      }
      if (ts.isInterfaceDeclaration(declaration))
        for (const member of declaration.members.filter(ts.isMethodSignature)) add(member)
    }
  }
  return calls
}

/** The nodes whose code runs for a declaration: itself, or (a signature without a body) its implementation. */
function bodiesOf(node: ts.Node): ts.Node[] {
  if (ts.isFunctionDeclaration(node) && node.body === undefined && node.name) {
    return declarationsOf(node.name).filter((fn) => ts.isFunctionDeclaration(fn) && fn.body !== undefined)
  }
  if (ts.isMethodSignature(node)) {
    // An interface's method runs as whichever method of that name the object has: any of lib/'s (an over-reach
    // that can only let a code pass, never fail one).
    const name = node.name.getText()
    const found: ts.Node[] = []
    const visit = (child: ts.Node): void => {
      if (ts.isMethodDeclaration(child) && child.name.getText() === name) found.push(child)
      ts.forEachChild(child, visit)
    }
    for (const file of libSources) visit(file)
    return found
  }
  // Naming a class runs its constructor and its fields' initializers, not its methods.
  if (ts.isClassDeclaration(node))
    return node.members.filter((member) => ts.isConstructorDeclaration(member) || ts.isPropertyDeclaration(member))
  return [node]
}

export interface Reached {
  /** Every string literal in the code reached. */
  strings: Set<string>
  /** Names the code calls from outside lib/ (openSync, ...). */
  outside: Set<string>
}

/** What the code of `start` reaches: every declaration of lib/ it names, transitively (types left out). */
export function reachedFrom(start: ts.Node): Reached {
  const reached: Reached = { strings: new Set(), outside: new Set() }
  const done = new Set<ts.Node>()
  const queue = bodiesOf(start)
  while (queue.length > 0) {
    const node = queue.pop()!
    if (done.has(node)) continue
    done.add(node)
    const visit = (child: ts.Node): void => {
      if (ts.isTypeNode(child)) return
      if (ts.isStringLiteralLike(child)) reached.strings.add(child.text)
      if (ts.isIdentifier(child) || ts.isPrivateIdentifier(child)) {
        for (const declaration of declarationsOf(child)) {
          if (inLib(declaration)) queue.push(...bodiesOf(declaration))
          else reached.outside.add(child.text)
        }
      }
      ts.forEachChild(child, visit)
    }
    visit(node)
  }
  return reached
}
