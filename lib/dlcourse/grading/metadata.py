"""Put back nbgrader metadata that a submission removed or changed, from the source notebook.

Test and locked cells are matched by ``grade_id``; a cell whose metadata was stripped is
matched to the released cell with the same first line (e.g. ``def sigmoid(z):``).
"""

KEYS = ("grade", "solution", "locked", "points", "task", "grade_id", "schema_version")


def _nbgrader(cell):
    return cell.get("metadata", {}).get("nbgrader")


def _first_line(cell):
    return next((line.strip() for line in cell.get("source", "").splitlines() if line.strip()), "")


def restore_metadata(nb, source, release):
    """Fix `nb` in place; returns True when anything had been tampered with."""
    wanted = {}
    for cell in source.cells:
        meta = _nbgrader(cell)
        if meta and meta.get("grade_id"):
            wanted[meta["grade_id"]] = {k: meta[k] for k in KEYS if k in meta}
    first_lines = {}          # (type, first line) -> grade ids in release order (answer cells share one)
    for cell in release.cells:
        meta = _nbgrader(cell)
        if meta and meta.get("grade_id"):
            first_lines.setdefault((cell.cell_type, _first_line(cell)), []).append(meta["grade_id"])
    tampered = False
    present = {(_nbgrader(c) or {}).get("grade_id") for c in nb.cells}
    for cell in nb.cells:
        meta = _nbgrader(cell)
        if not meta or not meta.get("grade_id"):
            candidates = [g for g in first_lines.get((cell.cell_type, _first_line(cell)), []) if g not in present]
            grade_id = candidates[0] if candidates else None
            if grade_id:
                cell.metadata["nbgrader"] = dict(wanted[grade_id])
                present.add(grade_id)
                tampered = True
            continue
        target = wanted.get(meta["grade_id"])
        if target is None:
            continue
        if any(meta.get(k) != v for k, v in target.items()) or any(k in meta for k in KEYS if k not in target):
            tampered = True
            for k in KEYS:
                meta.pop(k, None)
            meta.update(target)
    return tampered


def restore_missing_cells(nb, release):
    """Put back every nbgrader cell of the release that `nb` lacks, after its nearest surviving
    predecessor; returns the grade ids of the missing *graded* cells.

    (nbgrader's own add_missing_cells fails when the cell before a missing one is a locked,
    ungraded cell; test cells put back here are then restored to their full source by nbgrader.)
    """
    import copy

    present = {(_nbgrader(c) or {}).get("grade_id") for c in nb.cells}
    missing_graded = []
    previous = None
    for cell in release.cells:
        grade_id = (_nbgrader(cell) or {}).get("grade_id")
        if not grade_id:
            continue
        if grade_id not in present:
            index = next((i + 1 for i, c in enumerate(nb.cells)
                          if previous and (_nbgrader(c) or {}).get("grade_id") == previous), 0)
            nb.cells.insert(index, copy.deepcopy(cell))
            present.add(grade_id)
            if _nbgrader(cell).get("grade"):
                missing_graded.append(grade_id)
        previous = grade_id
    return missing_graded
