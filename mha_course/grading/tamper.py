"""A static scan of answer cells for code that reaches into the grading.

An answer cell should define the learner's function or class and nothing
more. This scan reads (never runs) its source and reports what only a
tampered answer needs: replacing attributes of imported modules, touching the
checkers, ``sys.modules``, builtins, frames, IPython's machinery, dynamic
code, or a printed verdict line. It cannot catch every trick; that is why
the check cells and their expected outputs always come from the course, and
why a flagged answer is not run at all.
"""

import ast
import re
from dataclasses import dataclass

from IPython.core.inputtransformer2 import TransformerManager

# Modules an answer has no business importing: the grading machinery, and the
# tools for patching, frame access or raw memory.
FORBIDDEN_MODULES = frozenset(
    "builtins ctypes gc importlib inspect subprocess unittest IPython ipykernel "
    "jupyter_client nbclient nbformat nbval pytest mha_course.grade "
    "mha_course.grading".split()
)
# The course package itself: importing it in an answer may mean calling the
# reference implementation instead of writing one (reported, not punished).
COURSE_PACKAGE = "mha_course"
# Callables that run code from strings, reach the module's globals or imports.
FORBIDDEN_CALLS = frozenset("exec eval compile __import__ globals breakpoint".split())
# Attributes that lead to other functions' code, globals or callers' frames.
FORBIDDEN_ATTRIBUTES = frozenset(
    "__globals__ __code__ __closure__ __builtins__ __kwdefaults__ __defaults__ "
    "f_globals f_locals f_back f_builtins _getframe settrace setprofile".split()
)
# Module attributes that hold the import machinery or run shell commands.
FORBIDDEN_MODULE_ATTRIBUTES = frozenset(
    "sys.modules sys.meta_path sys.path_hooks os.system os.popen".split()
)
FORBIDDEN_NAMES = frozenset({"__builtins__", "get_ipython"})
# IPython magics an answer may use: timing only (cell magics are rescanned).
SAFE_MAGICS = frozenset({"time", "timeit"})
MAGIC_RUNNERS = frozenset({"run_line_magic", "run_cell_magic"})
# A verdict line as the checkers print it: "PASS <part id>: ...".
PASS_LINE = re.compile(r"\bPASS\s+\w+\s*:")
REPLACED_BUILTINS = frozenset({"print", "__import__", "open"})


@dataclass(frozen=True)
class Finding:
    """One suspicious spot in an answer cell.

    Args:
        line: the line number in the answer cell (1-based, after IPython's
            magics are turned into calls).
        message: what was seen, for the teacher.
        serious: True when it reaches into the grading (the part earns 0);
            False for what is only worth a look (importing the course package).

    Example:
        >>> Finding(2, "uses sys.modules").serious
        True
    """

    line: int
    message: str
    serious: bool = True


@dataclass(frozen=True)
class ScanContext:
    """What the course says is off limits for answers.

    Args:
        checker_modules: modules the checkers live in (``mha_course.checks``).
        checker_names: checker function names (``check_softmax``).
        course_imports: names the course's own cells bind by importing
            (``torch``, ``np``, ``F``): assigning to their attributes is
            patching a module.
        allowed_imports: dotted names the course's own answer cell for this
            part imports (``mha_course.split_heads``): the learner may too.

    Example:
        >>> context = ScanContext(checker_names=frozenset({"check_double"}))
        >>> [f.message for f in scan_answer("check_double = print", context)]
        ['uses the checker name check_double']
    """

    checker_modules: frozenset = frozenset()
    checker_names: frozenset = frozenset()
    course_imports: frozenset = frozenset()
    allowed_imports: frozenset = frozenset()


def _root_name(node):
    """Return the name at the root of ``a.b[c].d``, or None."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node):
    """Return ``a.b.c`` for an attribute chain of names, or None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def _is_within(module, packages):
    """Tell whether ``module`` is one of ``packages`` or inside one of them."""
    return any(module == p or module.startswith(p + ".") for p in packages)


class _Scanner(ast.NodeVisitor):
    """Walk an answer's syntax tree and collect ``Finding`` objects."""

    def __init__(self, context, imported):
        self.context = context
        # alias -> dotted module (or module.object) it stands for
        self.imported = dict(imported)
        self.module_names = set(context.course_imports) | set(imported)
        self.shadowed = []  # stack of parameter-name sets inside functions
        self.findings = []

    def report(self, node, message, serious=True):
        self.findings.append(Finding(getattr(node, "lineno", 0), message, serious))

    def is_module_name(self, name):
        return name in self.module_names and not any(name in s for s in self.shadowed)

    def check_module(self, node, module, names=()):
        if _is_within(module, self.context.checker_modules):
            self.report(node, f"imports the checker module {module}")
        elif _is_within(module, FORBIDDEN_MODULES):
            self.report(node, f"imports {module}")
        elif _is_within(module, {COURSE_PACKAGE}):
            wanted = {f"{module}.{name}" for name in names} if names else {module}
            extra = sorted(wanted - self.context.allowed_imports)
            if extra:
                listed = ", ".join(extra)
                self.report(node, f"imports the course package ({listed})", False)

    def visit_Import(self, node):
        for alias in node.names:
            self.check_module(node, alias.name)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        self.check_module(node, module, [alias.name for alias in node.names])
        for alias in node.names:
            full = f"{module}.{alias.name}"
            if alias.name in self.context.checker_names:
                self.report(node, f"imports the checker {alias.name}")
            elif full != module and not _is_within(module, FORBIDDEN_MODULES):
                if _is_within(full, self.context.checker_modules | FORBIDDEN_MODULES):
                    self.report(node, f"imports {full}")

    def visit_Name(self, node):
        if node.id in self.context.checker_names:
            self.report(node, f"uses the checker name {node.id}")
        elif node.id in FORBIDDEN_NAMES:
            self.report(node, f"uses {node.id}")
        elif node.id in FORBIDDEN_CALLS:
            self.report(node, f"uses {node.id}()")
        if isinstance(node.ctx, ast.Store) and node.id in REPLACED_BUILTINS:
            self.report(node, f"replaces the builtin {node.id}")

    def visit_Attribute(self, node):
        if node.attr in FORBIDDEN_ATTRIBUTES:
            self.report(node, f"reaches for .{node.attr}")
        if node.attr in self.context.checker_names:
            self.report(node, f"uses the checker name {node.attr}")
        dotted = _dotted(node)
        root = _root_name(node)
        if dotted and self.is_module_name(root):
            full = self.imported.get(root, root) + dotted[len(root) :]
            if _is_within(full, self.context.checker_modules):
                self.report(node, f"uses the checker module ({full})")
            elif full in FORBIDDEN_MODULE_ATTRIBUTES:
                self.report(node, f"uses {full}")
        if isinstance(node.ctx, (ast.Store, ast.Del)) and self.is_module_name(root):
            self.report(node, f"changes {dotted or root + '...'}, part of a module")
        self.generic_visit(node)

    def visit_Subscript(self, node):
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            root = _root_name(node)
            if isinstance(node.value, ast.Attribute) and self.is_module_name(root):
                self.report(node, f"changes an item of {_dotted(node.value)}")
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Name) and func.id in {"setattr", "delattr"}:
            if node.args and self.is_module_name(_root_name(node.args[0])):
                self.report(node, f"{func.id}() on a module")
        if self.is_safe_magic(node):
            if node.func.attr == "run_cell_magic" and len(node.args) == 3:
                body = node.args[2]
                if isinstance(body, ast.Constant) and isinstance(body.value, str):
                    self.scan_nested(body.value, node.lineno)
            return  # get_ipython() here only runs a timing magic
        self.generic_visit(node)

    def is_safe_magic(self, node):
        func = node.func
        return (
            isinstance(func, ast.Attribute)
            and func.attr in MAGIC_RUNNERS
            and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name)
            and func.value.func.id == "get_ipython"
            and bool(node.args)
            and isinstance(node.args[0], ast.Constant)
            and node.args[0].value in SAFE_MAGICS
        )

    def scan_nested(self, source, line):
        for finding in scan_answer(source, self.context):
            self.findings.append(
                Finding(line + finding.line - 1, finding.message, finding.serious)
            )

    def visit_Constant(self, node):
        if isinstance(node.value, str) and PASS_LINE.search(node.value):
            self.report(node, "writes a passing verdict line")

    def visit_ClassDef(self, node):
        self.check_definition(node)
        self.generic_visit(node)

    def check_definition(self, node):
        if node.name in self.context.checker_names:
            self.report(node, f"redefines the checker {node.name}")
        elif node.name in REPLACED_BUILTINS:
            self.report(node, f"replaces the builtin {node.name}")

    def visit_FunctionDef(self, node):
        if not isinstance(node, ast.Lambda):
            self.check_definition(node)
        arguments = node.args
        names = {
            a.arg
            for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
        }
        names.update(a.arg for a in (arguments.vararg, arguments.kwarg) if a)
        self.shadowed.append(names)
        self.generic_visit(node)
        self.shadowed.pop()

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef


def _imports(tree):
    """Return alias -> dotted module name for every import in ``tree``."""
    imported = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    imported[alias.asname] = alias.name
                else:
                    root = alias.name.split(".")[0]
                    imported[root] = root
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                full = f"{node.module or ''}.{alias.name}".lstrip(".")
                imported[alias.asname or alias.name] = full
    return imported


def imported_names(source):
    """Return the dotted names a cell's import statements bring in.

    Example:
        >>> sorted(imported_names("import numpy as np\\nfrom torch import nn"))
        ['numpy', 'torch.nn']
    """
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return frozenset()
    return frozenset(_imports(tree).values())


def scan_answer(source, context=None):
    """Scan an answer cell's source for code that reaches into the grading.

    IPython syntax (``%timeit``, ``!ls``) is turned into Python first, as the
    kernel would. A source that is not valid Python gives no finding: it will
    fail on its own when run.

    Args:
        source: the answer cell's source.
        context: a ``ScanContext`` naming the course's checkers and imports.

    Returns:
        A list of ``Finding`` objects, in source order; empty for a clean answer.

    Example:
        >>> scan_answer("def double(x):\\n    return 2 * x\\n")
        []
        >>> [f.message for f in scan_answer("import sys\\nsys.stdout = None")]
        ['changes sys.stdout, part of a module']
        >>> [f.message for f in scan_answer("print('PASS double: ok')")]
        ['writes a passing verdict line']
    """
    context = context or ScanContext()
    try:
        tree = ast.parse(TransformerManager().transform_cell(source))
    except (SyntaxError, ValueError):
        return []
    scanner = _Scanner(context, _imports(tree))
    scanner.visit(tree)
    return sorted(scanner.findings, key=lambda finding: finding.line)
