"""Revision graphs for the differential test: hand-picked topologies and a
seeded random generator.  Standard library only.

    hand_picked()            -> list[Graph]
    random_graph(seed)       -> Graph     (20-60 revisions)
    all_graphs(n_random=32)  -> list[Graph]
    Topo(revs)               -> ancestry helpers used to pick commands
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from project_writer import Rev

__all__ = ["Graph", "Topo", "hand_picked", "random_graph", "all_graphs"]


@dataclass
class Graph:
    name: str
    revs: list[Rev]
    note: str = ""
    # Commands the driver adds for this graph on top of the generic ones.
    extra_commands: list[list[str]] = field(default_factory=list)
    # retort refuses the whole project (e.g. an id longer than 32 chars).
    refused_project: bool = False


class Topo:
    """Ancestry over a list of Rev (down_revision edges, optionally depends_on)."""

    def __init__(self, revs: list[Rev]):
        self.revs = revs
        self.by_id = {r.id: r for r in revs}
        self.label_rev = {lab: r.id for r in revs for lab in r.labels}
        self.children: dict[str, list[str]] = {r.id: [] for r in revs}
        self.dependents: dict[str, list[str]] = {r.id: [] for r in revs}
        for r in revs:
            for d in r.down:
                self.children[d].append(r.id)
            for d in r.depends_on:
                self.dependents[self.resolve_dep(d)].append(r.id)
        self.roots = [r.id for r in revs if not r.down]
        self.heads = [r.id for r in revs if not self.children[r.id]]
        self.real_heads = [h for h in self.heads if not self.dependents[h]]
        self._anc: dict[tuple[str, bool], frozenset[str]] = {}
        self._desc: dict[tuple[str, bool], frozenset[str]] = {}

    def resolve_dep(self, d: str) -> str:
        return self.label_rev.get(d, d)

    def parents(self, rid: str, deps: bool) -> list[str]:
        r = self.by_id[rid]
        return list(r.down) + ([self.resolve_dep(d) for d in r.depends_on] if deps else [])

    def ancestors(self, rid: str, deps: bool = False) -> frozenset[str]:
        """Strict ancestors of rid."""
        key = (rid, deps)
        if key not in self._anc:
            seen: set[str] = set()
            todo = self.parents(rid, deps)
            while todo:
                x = todo.pop()
                if x not in seen:
                    seen.add(x)
                    todo.extend(self.parents(x, deps))
            self._anc[key] = frozenset(seen)
        return self._anc[key]

    def descendants(self, rid: str, deps: bool = False) -> frozenset[str]:
        """Strict descendants of rid."""
        key = (rid, deps)
        if key not in self._desc:
            seen: set[str] = set()
            todo = list(self.children[rid]) + (list(self.dependents[rid]) if deps else [])
            while todo:
                x = todo.pop()
                if x not in seen:
                    seen.add(x)
                    todo.extend(self.children[x])
                    if deps:
                        todo.extend(self.dependents[x])
            self._desc[key] = frozenset(seen)
        return self._desc[key]

    def roots_of(self, rids) -> set[str]:
        """Roots (down_revision only) from which the given revisions descend."""
        out = set()
        for rid in rids:
            for a in self.ancestors(rid) | {rid}:
                if not self.by_id[a].down:
                    out.add(a)
        return out


# --------------------------------------------------------------------------
# hand-picked topologies

def _chain(ids: list[str], first_down: list[str] | None = None, msg: str = "step") -> list[Rev]:
    out = []
    prev = first_down or []
    for i, rid in enumerate(ids):
        out.append(Rev(rid, list(prev), message=f"{msg} {i + 1}"))
        prev = [rid]
    return out


def hand_picked() -> list[Graph]:
    g: list[Graph] = []

    # linear, with ids a YAML parser could mistake for numbers.
    g.append(Graph("linear", [
        Rev("0123abcd4567", [], message="create account"),
        Rev("202601011200", ["0123abcd4567"], message="add tenant id"),
        Rev("12e456789012", ["202601011200"], message="add invoices"),
        Rev("3c4d5e6f7081", ["12e456789012"], message="add index"),
        Rev("4d5e6f708192", ["3c4d5e6f7081"], message="enable rls",
            create_date="2026-11-26 08:00:00"),
    ], note="linear chain; numeric-looking ids"))

    # two branches from a branch point (two heads)
    g.append(Graph("two_branches", [
        Rev("a1a1a1a1a1a1", [], message="root"),
        Rev("b2b2b2b2b2b2", ["a1a1a1a1a1a1"], message="branch point"),
        Rev("c3c3c3c3c3c3", ["b2b2b2b2b2b2"], message="left one"),
        Rev("c4c4c4c4c4c4", ["c3c3c3c3c3c3"], message="left two"),
        Rev("d5d5d5d5d5d5", ["b2b2b2b2b2b2"], message="right one"),
        Rev("d6d6d6d6d6d6", ["d5d5d5d5d5d5"], message="right two"),
    ], note="branch point, two heads"))

    # the alembic.md example: merge of 2 heads, label on one branch
    g.append(Graph("merge2", [
        Rev("1a2b3c4d5e6f", [], message="create account"),
        Rev("2b3c4d5e6f70", ["1a2b3c4d5e6f"], message="add tenant id"),
        Rev("3c4d5e6f7081", ["2b3c4d5e6f70"], labels=["feature"], message="branch one"),
        Rev("4d5e6f708192", ["2b3c4d5e6f70"], message="branch two"),
        Rev("5e6f708192a3", ["3c4d5e6f7081", "4d5e6f708192"], message="merge branches"),
        Rev("6f708192a3b4", ["5e6f708192a3"], message="enable rls"),
        Rev("7a8192a3b4c5", ["2b3c4d5e6f70"], message="second head"),
    ], note="merge of two heads, label feature, a second head off the branch point"))

    # merge of 3 heads
    g.append(Graph("merge3", [
        Rev("e0e0e0e0e0e0", [], message="root"),
        Rev("e1e1e1e1e1e1", ["e0e0e0e0e0e0"], message="fan out"),
        Rev("f1f1f1f1f1f1", ["e1e1e1e1e1e1"], message="first"),
        Rev("f2f2f2f2f2f2", ["e1e1e1e1e1e1"], message="second"),
        Rev("f3f3f3f3f3f3", ["e1e1e1e1e1e1"], message="third"),
        Rev("f3f3f3f3f3f4", ["f3f3f3f3f3f3"], message="third more"),
        Rev("0a0a0a0a0a0a", ["f1f1f1f1f1f1", "f2f2f2f2f2f2", "f3f3f3f3f3f4"], message="merge three"),
        Rev("0b0b0b0b0b0b", ["0a0a0a0a0a0a"], message="after merge"),
    ], note="three-way merge"))

    # several independent bases
    g.append(Graph("multi_base", [
        *_chain(["aa0000000001", "aa0000000002", "aa0000000003"], msg="alpha"),
        *_chain(["bb0000000001", "bb0000000002"], msg="beta"),
        *_chain(["cc0000000001", "cc0000000002", "cc0000000003", "cc0000000004"], msg="gamma"),
    ], note="three independent roots, three heads"))
    g[-1].revs[3].labels = ["beta"]

    # depends_on across branches (alembic.md example, labels core/ext)
    g.append(Graph("depends_core_ext", [
        Rev("1a2b3c4d5e6f", [], message="create account"),
        Rev("2b3c4d5e6f70", ["1a2b3c4d5e6f"], message="add tenant id"),
        Rev("aaaa11111111", [], labels=["core"], message="core base"),
        Rev("aaaa22222222", ["aaaa11111111"], message="core two"),
        Rev("bbbb11111111", [], labels=["ext"], depends_on=["aaaa11111111"], message="ext base"),
        Rev("bbbb22222222", ["bbbb11111111"], depends_on=["aaaa22222222"], message="ext two"),
    ], note="depends_on across roots, effective head; downgrade via relative target to base "
            "across roots is a deliberate refusal"))

    # depends_on naming a branch label, and two dependencies
    g.append(Graph("depends_on_label", [
        Rev("c0re00000001", [], labels=["corelib"], message="core base"),
        Rev("c0re00000002", ["c0re00000001"], message="core two"),
        Rev("c0re00000003", ["c0re00000002"], message="core three"),
        Rev("a9900000000a", [], labels=["app"], message="app base"),
        Rev("a9900000000b", ["a9900000000a"], depends_on=["corelib"], message="app uses core"),
        Rev("a9900000000c", ["a9900000000b"], depends_on=["c0re00000003", "d1ff00000001"],
            message="app uses two"),
        Rev("d1ff00000001", [], message="third root"),
    ], note="depends_on a branch label; two dependencies"))

    # branch labels on branches
    g.append(Graph("labels_on_branches", [
        Rev("5a5a00000001", [], message="root"),
        Rev("5a5a00000002", ["5a5a00000001"], message="split"),
        Rev("6b6b00000001", ["5a5a00000002"], labels=["alpha"], message="alpha one"),
        Rev("6b6b00000002", ["6b6b00000001"], message="alpha two"),
        Rev("6b6b00000003", ["6b6b00000002"], message="alpha three"),
        Rev("7c7c00000001", ["5a5a00000002"], labels=["beta"], message="beta one"),
        Rev("7c7c00000002", ["7c7c00000001"], message="beta two"),
        Rev("8d8d00000001", ["5a5a00000002"], message="main continues"),
    ], note="labels alpha and beta on two of three branches"))

    # diamonds, stacked
    g.append(Graph("diamond", [
        Rev("d0000000000a", [], message="top"),
        Rev("d0000000001a", ["d0000000000a"], message="left"),
        Rev("d0000000001b", ["d0000000000a"], message="right"),
        Rev("d0000000002a", ["d0000000001a", "d0000000001b"], message="join"),
        Rev("d0000000003a", ["d0000000002a"], message="left again"),
        Rev("d0000000003b", ["d0000000002a"], labels=["rightside"], message="right again"),
        Rev("d0000000004a", ["d0000000003b", "d0000000003a"], message="join again"),
    ], note="two stacked diamonds; merge lists parents out of lexical order"))

    # a label on a long branch
    long_ids = [f"10ab{i:08x}" for i in range(1, 4)]
    branch_ids = [f"20cd{i:08x}" for i in range(1, 10)]
    g.append(Graph("long_label", [
        *_chain(long_ids, msg="trunk"),
        *_chain(branch_ids, first_down=[long_ids[1]], msg="feature"),
        Rev("30ef00000001", [long_ids[2]], message="trunk four"),
    ], note="label on the first of nine revisions of a long branch"))
    g[-1].revs[3].labels = ["longbranch"]

    # ids sharing prefixes (partial id ambiguity)
    g.append(Graph("shared_prefix", [
        Rev("abcd00000001", [], message="root"),
        Rev("abcdef012345", ["abcd00000001"], message="one"),
        Rev("abcdef987654", ["abcdef012345"], message="two"),
        Rev("abcde1111111", ["abcdef987654"], message="three"),
        Rev("abc123456789", ["abcde1111111"], message="four"),
    ], note="ids sharing 3-6 leading characters"))

    # odd but legal: two labels on one revision, a label on a merge, a label that is a
    # prefix of another revision's id, punctuation in messages, microseconds in dates
    g.append(Graph("odd_cases", [
        Rev("cafe00000001", [], message="fix: users.email unique; add (tenant_id) index",
            create_date="2026-11-26 07:13:12.083186"),
        Rev("0dd000000002", ["cafe00000001"], labels=["cafe", "shop"],
            message="it's 100% done #1"),
        Rev("0dd000000003", ["cafe00000001"], message="other  side, with  two spaces."),
        Rev("0dd000000004", ["0dd000000002", "0dd000000003"], labels=["merged"],
            message="merge: both"),
        Rev("0dd000000005", ["0dd000000004"], message="tail"),
    ], note="multi-label revision, label on a merge, label 'cafe' prefixing an id", extra_commands=[
        ["show", "cafe"], ["show", "caf"], ["show", "cafe0"], ["show", "shop@head"],
        ["show", "merged"], ["upgrade", "base:cafe@head", "--sql"], ["upgrade", "base:shop", "--sql"],
        ["upgrade", "base:merged@+1", "--sql"], ["upgrade", "cafe00000001:shop@+1", "--sql"],
        ["downgrade", "0dd000000005:cafe@base", "--sql"], ["downgrade", "0dd000000005:shop@-2", "--sql"],
        ["history", "-r", "cafe:merged"], ["history", "-r", "cafe00000001:shop@head"],
    ]))

    # deliberate refusal: relative downgrade to base across two roots
    g.append(Graph("refusal_multi_root", [
        Rev("f00000000001", [], message="first root"),
        Rev("f00000000002", ["f00000000001"], message="first two"),
        Rev("e00000000001", [], message="second root"),
        Rev("e00000000002", ["e00000000001"], message="second two"),
        Rev("c00000000001", ["f00000000002", "e00000000002"], message="join roots"),
        Rev("c00000000002", ["c00000000001"], message="after join"),
    ], note="merge of two roots: a relative downgrade to base spans both roots", extra_commands=[
        ["downgrade", "c00000000002:f00000000001-1", "--sql"],
        ["downgrade", "c00000000002:-4", "--sql"],
        ["downgrade", "c00000000002:base", "--sql"],
        ["downgrade", "f00000000002:f00000000001-1", "--sql"],
    ]))

    # deliberate refusal: ids longer than the VARCHAR(32) version column
    g.append(Graph("refusal_long_id", [
        Rev("1111aaaa2222", [], message="create account"),
        Rev("add_customer_accounts_and_invoices_table", ["1111aaaa2222"], message="long id"),
        Rev("3333cccc4444", ["add_customer_accounts_and_invoices_table"], message="after long"),
    ], note="a 40-char revision id: retort refuses the project", refused_project=True))
    return g


# --------------------------------------------------------------------------
# seeded random graphs

_WORDS = ("add create drop alter index table column tenant account invoice user "
          "billing audit event order item price rename split merge backfill "
          "constraint view policy enable rls schema").split()


class _Gen:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.ids: list[str] = []
        self.n_labels = 0

    def new_id(self) -> str:
        rng = self.rng
        while True:
            if self.ids and rng.random() < 0.12:
                prefix = rng.choice(self.ids)[: rng.randint(4, 6)]
                rid = prefix + "%012x" % rng.getrandbits(48)
                rid = rid[:12]
            else:
                rid = "%012x" % rng.getrandbits(48)
            if rid not in self.ids:
                self.ids.append(rid)
                return rid

    def message(self) -> str:
        return " ".join(self.rng.choice(_WORDS) for _ in range(self.rng.randint(1, 4)))

    def label(self) -> str:
        self.n_labels += 1
        return "%s%d" % (self.rng.choice(["feat", "lib", "ops", "team"]), self.n_labels)


def random_graph(seed: int, n: int | None = None) -> Graph:
    gen = _Gen(seed)
    rng = gen.rng
    n = n if n is not None else rng.randint(20, 60)
    revs: list[Rev] = []
    anc: dict[str, set[str]] = {}      # ancestors by down_revision + depends_on
    tips: list[str] = []               # current heads (by down_revision)
    extra_roots = rng.choice([0, 0, 1, 1, 2, 3])
    labelled: set[str] = set()

    def add(down: list[str], label: bool) -> Rev:
        rid = gen.new_id()
        idx = len(revs)
        r = Rev(rid, down, message=gen.message(),
                create_date="2026-%02d-%02d %02d:%02d:00" % (
                    1 + idx // 28 % 12, 1 + idx % 28, rng.randint(0, 23), rng.randint(0, 59)))
        if label:
            r.labels = [gen.label()]
            labelled.add(rid)
        a: set[str] = set()
        for d in down:
            a |= anc[d] | {d}
        # depends_on: across branches, to a revision that is not an ancestor
        if revs and rng.random() < 0.10:
            candidates = [x.id for x in revs if x.id not in a]
            for _ in range(1 if rng.random() < 0.8 else 2):
                if candidates:
                    dep = rng.choice(candidates)
                    candidates.remove(dep)
                    r.depends_on.append(dep)
                    a |= anc[dep] | {dep}
        anc[rid] = a
        revs.append(r)
        for d in down:
            if d in tips:
                tips.remove(d)
        tips.append(rid)
        return r

    add([], rng.random() < 0.3)
    while len(revs) < n:
        x = rng.random()
        if extra_roots and x < 0.05:
            extra_roots -= 1
            add([], rng.random() < 0.5)
        elif len(tips) >= 2 and x < 0.20:
            k = 3 if len(tips) >= 3 and rng.random() < 0.25 else 2
            parents = rng.sample(tips, k)
            # a merge's parents must not be ancestors of one another
            if any(p in anc[q] for p in parents for q in parents if p != q):
                continue
            add(parents, False)
        elif x < 0.34 and len(tips) < 6:
            parent = rng.choice(revs[-12:]).id
            add([parent], rng.random() < 0.35)
        else:
            tip = tips[-1] if rng.random() < 0.6 else rng.choice(tips)
            add([tip], False)
    # roots created late may be left unused: that is fine (another head).
    return Graph(f"random_{seed}", revs, note=f"seeded random graph, {len(revs)} revisions")


def all_graphs(n_random: int = 32, first_seed: int = 1000) -> list[Graph]:
    return hand_picked() + [random_graph(first_seed + i) for i in range(n_random)]


if __name__ == "__main__":
    for gr in all_graphs():
        t = Topo(gr.revs)
        print(f"{gr.name:22} revs={len(gr.revs):3} heads={len(t.heads)} roots={len(t.roots)} "
              f"merges={sum(len(r.down) > 1 for r in gr.revs)} "
              f"labels={sum(len(r.labels) for r in gr.revs)} deps={sum(len(r.depends_on) for r in gr.revs)}")
