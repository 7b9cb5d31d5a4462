"""The compiled core of the tabu search for the classical job shop (numba, on flat int64 arrays).

Imported only by ``tabu_compiled.py``, lazily: importing numba and loading the compiled code costs time that a solve
must not pay inside its limit. Everything here works on one machine assignment (one mode per operation):

- operations are numbered job by job; ``graph`` holds per operation its duration, machine, release, and the routing
  arcs ``job_pred``/``job_succ`` (-1 at the ends);
- the machine sequences lie end to end in ``seq`` (machine m's from ``machine_start[m]`` to ``machine_start[m + 1]``),
  ``pos[o]`` is where operation o stands in ``seq``;
- ``head`` is the earliest start, ``tail`` the longest path after the operation's end.

The neighbourhood is Zhang et al.'s N7 on one critical path: an operation of a critical block moved to the block's
front or back, or the block's first (last) operation moved inside it — N5's adjacent swaps are the shortest of these.
Moves are scored by recomputing the heads and tails of the operations between the two positions only (Taillard's
estimate, generalised to insertions); they are kept acyclic by Balas and Vazacopoulos' sufficient conditions, and a
cycle found anyway (zero durations) undoes the move. Tabu: an operation may not go back to a position it left for a
random tenure. After a long run without a new best, the search restarts from one of the best schedules found so far
(an elite set), shaken by 10-30 random critical moves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba
import numpy as np
from numpy.typing import NDArray

F = TypeVar("F", bound=Callable[..., Any])
Ints = NDArray[np.int64]

# counters[...]: the search's scalar state, kept in an array so that it survives between calls (the caller checks the
# clock between calls of a few milliseconds each).
ITERATION, SINCE_BEST, BEST, RNG, RESTARTS, ELITE_COUNT, CURRENT = range(7)
N_COUNTERS = 7
# A restart shakes the elite schedule by this many random critical moves and up to SHAKE_SPREAD more: 10-30 left the
# six hardest la instances 4.05 % (sum of gaps, six runs each at 5 s) above the best known, 2-6 5.70 % (docs).
SHAKE_MIN = 10
SHAKE_SPREAD = 20
# graph[...]: the rows of the problem's (n_operations,) arrays, all in one.
DURATION, MACHINE, RELEASE, JOB_PRED, JOB_SUCC = range(5)
N_GRAPH_ROWS = 5


def _jit(function: F) -> F:
    return cast(F, numba.njit(cache=True, nogil=True)(function))


@_jit
def _random(counters: Ints, below: int) -> int:
    """A linear congruential generator (wrapping int64 arithmetic): repeatable from the seed, and cheap."""
    x = counters[RNG] * 6364136223846793005 + 1442695040888963407
    counters[RNG] = x
    return int(((x >> 33) & 0x7FFFFFFF) % below)


@_jit
def heads_tails(graph: Ints, machine_start: Ints, seq: Ints, pos: Ints, head: Ints, tail: Ints, order: Ints) -> int:
    """Heads and tails of the current sequences (Kahn's order); the makespan, or -1 when the arcs form a cycle."""
    duration, machine, release = graph[DURATION], graph[MACHINE], graph[RELEASE]
    job_pred, job_succ = graph[JOB_PRED], graph[JOB_SUCC]
    n = duration.shape[0]
    waiting = tail  # the tails are computed after the last use of the counts
    count = 0
    for o in range(n):
        w = 0
        if job_pred[o] >= 0:
            w += 1
        if pos[o] > machine_start[machine[o]]:
            w += 1
        waiting[o] = w
        head[o] = release[o]
        if w == 0:
            order[count] = o
            count += 1
    at = 0
    while at < count:
        o = order[at]
        at += 1
        end = head[o] + duration[o]
        # The job successor and the machine successor are released by the same lines, written out twice: a shared
        # jitted helper (even with inline="always") ran the search at 40 % of these moves per second.
        nxt = job_succ[o]
        if nxt >= 0:
            if end > head[nxt]:
                head[nxt] = end
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                order[count] = nxt
                count += 1
        p = pos[o] + 1
        if p < machine_start[machine[o] + 1]:
            nxt = seq[p]
            if end > head[nxt]:
                head[nxt] = end
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                order[count] = nxt
                count += 1
    if count < n:
        return -1
    makespan = 0
    for k in range(n - 1, -1, -1):
        o = order[k]
        t = 0
        nxt = job_succ[o]
        if nxt >= 0:
            t = tail[nxt] + duration[nxt]
        p = pos[o] + 1
        if p < machine_start[machine[o] + 1]:
            nxt = seq[p]
            if tail[nxt] + duration[nxt] > t:
                t = tail[nxt] + duration[nxt]
        tail[o] = t
        if head[o] + duration[o] + t > makespan:
            makespan = head[o] + duration[o] + t
    return makespan


@_jit
def _critical_path(
    graph: Ints, machine_start: Ints, seq: Ints, pos: Ints, head: Ints, tail: Ints, makespan: int, path: Ints,
    counters: Ints,
) -> int:  # fmt: skip
    """One critical path, first operation first, into ``path``; its length. Ties are broken at random."""
    duration, machine, job_pred = graph[DURATION], graph[MACHINE], graph[JOB_PRED]
    n = duration.shape[0]
    ends = 0
    o = -1
    for x in range(n):  # a random one of the operations that end at the makespan
        if tail[x] == 0 and head[x] + duration[x] == makespan:
            ends += 1
            if _random(counters, ends) == 0:
                o = x
    length = 0
    while o >= 0:
        path[length] = o
        length += 1
        jp = job_pred[o]
        mp = seq[pos[o] - 1] if pos[o] > machine_start[machine[o]] else -1
        job_tight = jp >= 0 and head[jp] + duration[jp] == head[o]
        machine_tight = mp >= 0 and head[mp] + duration[mp] == head[o]
        if job_tight and machine_tight:
            o = jp if _random(counters, 2) == 0 else mp
        elif job_tight:
            o = jp
        elif machine_tight:
            o = mp
        else:
            o = -1
    for k in range(length // 2):
        path[k], path[length - 1 - k] = path[length - 1 - k], path[k]
    return length


@_jit
def _estimate(graph: Ints, machine_start: Ints, seq: Ints, i: int, j: int, head: Ints, tail: Ints, buffer: Ints) -> int:
    """The makespan of the paths through the operations between positions i and j after moving seq[i] to j: heads
    recomputed forward and tails backward over that stretch only (exact for an adjacent swap's two operations)."""
    duration, release, job_pred, job_succ = graph[DURATION], graph[RELEASE], graph[JOB_PRED], graph[JOB_SUCC]
    m = graph[MACHINE, seq[i]]
    lo = min(i, j)
    hi = max(i, j)
    k = hi - lo + 1
    if j > i:
        for x in range(k - 1):
            buffer[x] = seq[i + 1 + x]
        buffer[k - 1] = seq[i]
    else:
        buffer[0] = seq[i]
        for x in range(1, k):
            buffer[x] = seq[j + x - 1]
    start = 0
    if lo > machine_start[m]:
        before = seq[lo - 1]
        start = head[before] + duration[before]
    for x in range(k):
        o = buffer[x]
        jp = job_pred[o]
        h = head[jp] + duration[jp] if jp >= 0 else release[o]
        if start > h:
            h = start
        buffer[k + x] = h
        start = h + duration[o]
    after_tail = 0
    if hi + 1 < machine_start[m + 1]:
        after = seq[hi + 1]
        after_tail = tail[after] + duration[after]
    best = 0
    for x in range(k - 1, -1, -1):
        o = buffer[x]
        js = job_succ[o]
        t = tail[js] + duration[js] if js >= 0 else 0
        if after_tail > t:
            t = after_tail
        after_tail = t + duration[o]
        if buffer[k + x] + duration[o] + t > best:
            best = buffer[k + x] + duration[o] + t
    return best


@_jit
def _feasible(graph: Ints, seq: Ints, i: int, j: int, head: Ints, tail: Ints) -> bool:
    """Balas and Vazacopoulos' sufficient conditions for moving seq[i] to j without closing a cycle."""
    if abs(i - j) == 1:
        return True
    duration, job_pred, job_succ = graph[DURATION], graph[JOB_PRED], graph[JOB_SUCC]
    u = seq[i]
    v = seq[j]
    if j > i:  # u right after v: no path from u's job successor to v
        js = job_succ[u]
        return js < 0 or bool(tail[v] + duration[v] >= tail[js] + duration[js])
    jp = job_pred[u]  # u right before v
    return jp < 0 or bool(head[v] + duration[v] >= head[jp] + duration[jp])


@_jit
def _moves(
    graph: Ints, seq: Ints, pos: Ints, head: Ints, tail: Ints, path: Ints, length: int, move_from: Ints, move_to: Ints
) -> int:
    """N7 on the blocks of the critical path in ``path``; the number of moves written to move_from/move_to."""
    machine = graph[MACHINE]
    count = 0
    b = 0
    first = True
    while b < length:
        e = b  # the block is path[b..e]: consecutive on one machine
        while e + 1 < length and machine[path[e + 1]] == machine[path[b]] and pos[path[e + 1]] == pos[path[e]] + 1:
            e += 1
        last = e == length - 1
        s = pos[path[b]]
        k = e - b  # the block is seq[s..s+k]
        if k >= 1:
            if k == 1:
                if not (first and last):
                    move_from[count] = s
                    move_to[count] = s + 1
                    count += 1
            else:
                if not first:  # a new first operation: some operation to the front, or the first one inside
                    for x in range(1, k + 1):
                        if _feasible(graph, seq, s + x, s, head, tail):
                            move_from[count] = s + x
                            move_to[count] = s
                            count += 1
                    for x in range(1, k):
                        if _feasible(graph, seq, s, s + x, head, tail):
                            move_from[count] = s
                            move_to[count] = s + x
                            count += 1
                if not last:  # a new last operation
                    for x in range(0, k):
                        if _feasible(graph, seq, s + x, s + k, head, tail):
                            move_from[count] = s + x
                            move_to[count] = s + k
                            count += 1
                    for x in range(1, k):
                        if _feasible(graph, seq, s + k, s + x, head, tail):
                            move_from[count] = s + k
                            move_to[count] = s + x
                            count += 1
        first = False
        b = e + 1
    return count


@_jit
def _apply(seq: Ints, pos: Ints, i: int, j: int) -> None:
    o = seq[i]
    if j > i:
        for x in range(i, j):
            seq[x] = seq[x + 1]
            pos[seq[x]] = x
    else:
        for x in range(i, j, -1):
            seq[x] = seq[x - 1]
            pos[seq[x]] = x
    seq[j] = o
    pos[o] = j


@_jit
def _is_tabu(tabu: Ints, width: int, machine_start: Ints, machine: Ints, seq: Ints, i: int, j: int, it: int) -> bool:
    """Moving seq[i] to j is tabu when it puts it back where it was recently, or when it puts the operation it
    crosses last back in that one's old place."""
    o = seq[i]
    base = machine_start[machine[o]]
    if tabu[o * width + (j - base)] > it:
        return True
    other = seq[j]  # it ends next to o, shifted by one towards i
    shifted = j - 1 if j > i else j + 1
    return bool(tabu[other * width + (shifted - base)] > it)


@_jit
def _make_tabu(
    tabu: Ints, width: int, machine_start: Ints, machine: Ints, seq: Ints, i: int, j: int, until: int
) -> None:
    o = seq[i]
    base = machine_start[machine[o]]
    tabu[o * width + (i - base)] = until
    tabu[seq[j] * width + (j - base)] = until


@_jit
def _store_elite(elite: Ints, elite_makespan: Ints, seq: Ints, makespan: int, counters: Ints) -> None:
    """Keep the schedule among the best few (replacing the worst), unless one as good with the same sequences is
    there."""
    size = elite_makespan.shape[0]
    count = counters[ELITE_COUNT]
    for e in range(count):
        if elite_makespan[e] == makespan and np.array_equal(elite[e], seq):
            return
    if count < size:
        slot = count
        counters[ELITE_COUNT] = count + 1
    else:
        slot = 0
        for e in range(1, size):
            if elite_makespan[e] > elite_makespan[slot]:
                slot = e
        if elite_makespan[slot] < makespan:
            return
    elite[slot, :] = seq
    elite_makespan[slot] = makespan


@_jit
def run(
    graph: Ints, machine_start: Ints, seq: Ints, pos: Ints, best_seq: Ints, tabu: Ints, width: int, elite: Ints,
    elite_makespan: Ints, counters: Ints, iterations: int, lower_bound: int, tenure: int, patience: int,
) -> int:  # fmt: skip
    """``iterations`` more steps of the search from the state in the arrays; the best makespan so far. Returns early
    at the lower bound, or when no move is left (a single block)."""
    n = graph.shape[1]
    head = np.zeros(n, np.int64)
    tail = np.zeros(n, np.int64)
    order = np.zeros(n, np.int64)
    path = np.zeros(n, np.int64)
    move_from = np.zeros(4 * n + 4, np.int64)
    move_to = np.zeros(4 * n + 4, np.int64)
    buffer = np.zeros(2 * n + 2, np.int64)
    current = heads_tails(graph, machine_start, seq, pos, head, tail, order)
    if current < 0:
        return int(counters[BEST])
    for _ in range(iterations):
        if counters[BEST] <= lower_bound:
            break
        it = counters[ITERATION] + 1
        counters[ITERATION] = it
        length = _critical_path(graph, machine_start, seq, pos, head, tail, current, path, counters)
        count = _moves(graph, seq, pos, head, tail, path, length, move_from, move_to)
        if count == 0:
            break
        chosen = -1
        chosen_value = 0
        ties = 0
        for x in range(count):
            i = move_from[x]
            j = move_to[x]
            value = _estimate(graph, machine_start, seq, i, j, head, tail, buffer)
            if value >= counters[BEST] and _is_tabu(tabu, width, machine_start, graph[MACHINE], seq, i, j, it):
                continue
            if chosen < 0 or value < chosen_value:
                chosen, chosen_value, ties = x, value, 1
            elif value == chosen_value:
                ties += 1
                if _random(counters, ties) == 0:
                    chosen = x
        if chosen < 0:  # every move tabu: a random one
            chosen = _random(counters, count)
        i = move_from[chosen]
        j = move_to[chosen]
        _make_tabu(tabu, width, machine_start, graph[MACHINE], seq, i, j, it + tenure + _random(counters, tenure + 1))
        _apply(seq, pos, i, j)
        current = heads_tails(graph, machine_start, seq, pos, head, tail, order)
        if current < 0:  # only with zero durations: undo, and keep it tabu for long
            _apply(seq, pos, j, i)
            current = heads_tails(graph, machine_start, seq, pos, head, tail, order)
        counters[SINCE_BEST] += 1
        if current < counters[BEST]:
            counters[BEST] = current
            counters[SINCE_BEST] = 0
            best_seq[:] = seq
            _store_elite(elite, elite_makespan, seq, current, counters)
        elif counters[SINCE_BEST] > patience:
            counters[RESTARTS] += 1
            counters[SINCE_BEST] = 0
            e = _random(counters, counters[ELITE_COUNT]) if counters[ELITE_COUNT] > 0 else -1
            if e >= 0:
                seq[:] = elite[e]
            else:
                seq[:] = best_seq
            for x in range(n):
                pos[seq[x]] = x
            tabu[:] = 0
            current = heads_tails(graph, machine_start, seq, pos, head, tail, order)
            for _shake in range(SHAKE_MIN + _random(counters, SHAKE_SPREAD + 1)):
                length = _critical_path(graph, machine_start, seq, pos, head, tail, current, path, counters)
                count = _moves(graph, seq, pos, head, tail, path, length, move_from, move_to)
                if count == 0:
                    break
                chosen = _random(counters, count)
                _apply(seq, pos, move_from[chosen], move_to[chosen])
                current = heads_tails(graph, machine_start, seq, pos, head, tail, order)
                if current < 0:
                    _apply(seq, pos, move_to[chosen], move_from[chosen])
                    current = heads_tails(graph, machine_start, seq, pos, head, tail, order)
    counters[CURRENT] = current
    return int(counters[BEST])
