"""nbgrader's OverwriteCells and SaveAutoGrades with their gradebook look-ups answered from one query each.

Stock, both preprocessors ask the gradebook once per cell (a join each: `find_source_cell`,
`find_graded_cell`, `find_grade`, `find_comment`) and SaveAutoGrades commits after every cell: ~77
look-ups and 26 commits per homework-1 submission, about 60% of the grader's own CPU time (profiled). Here each
preprocessor reads its notebook's cells (and the submission's grades and comments) once, answers the
per-cell look-ups from that with the same results and the same `MissingEntry` for a missing name, and
SaveAutoGrades commits once, at the end of the notebook. The cell-by-cell logic is nbgrader's own,
unchanged: the rows written are the same (tests/grading/test_trust.py compares scores and late
penalties with stock nbgrader).
"""

from nbgrader.api import Gradebook, GradeCell, MissingEntry, SolutionCell, TaskCell
from nbgrader.preprocessors import OverwriteCells as StockOverwriteCells
from nbgrader.preprocessors import SaveAutoGrades as StockSaveAutoGrades
from nbgrader.preprocessors.base import NbGraderPreprocessor


def _by_name(items, *kinds):
    """{name: item} preferring the earlier kinds, as nbgrader's look-ups try GradeCell before TaskCell."""
    found = {}
    for kind in reversed(kinds):
        found.update({item.name: item for item in items if isinstance(item, kind)})
    return found


def _cell_of(rows, *kinds):
    found = {}
    for kind in reversed(kinds):
        found.update({row.cell.name: row for row in rows if isinstance(row.cell, kind)})
    return found


class _Session:
    """The gradebook's session with `commit` deferred to the end of the notebook (a flush meanwhile)."""

    def __init__(self, session):
        self._session = session

    def commit(self):
        self._session.flush()

    def __getattr__(self, name):
        return getattr(self._session, name)


class Prefetched:
    """A Gradebook whose per-cell look-ups for one notebook (and one student) come from one read each;
    everything else, and look-ups for other notebooks, go to the gradebook itself."""

    def __init__(self, gradebook, notebook, assignment, student=None, *, defer_commits=False):
        self._gb, self._key, self._student = gradebook, (notebook, assignment), student
        source = gradebook.find_notebook(notebook, assignment)
        self._source_cells = {cell.name: cell for cell in source.source_cells}
        self._graded_cells = _by_name(source._base_cells, GradeCell, TaskCell)
        self._grades = self._comments = None
        if student is not None:
            submitted = gradebook.find_submission_notebook(notebook, assignment, student)
            self._grades = _cell_of(submitted.grades, GradeCell, TaskCell)
            self._comments = _cell_of(submitted.comments, SolutionCell, TaskCell)
        self.db = _Session(gradebook.db) if defer_commits else gradebook.db

    def _ours(self, notebook, assignment, student=None):
        return (notebook, assignment) == self._key and student == self._student

    @staticmethod
    def _get(table, name, what):
        try:
            return table[name]
        except KeyError:
            raise MissingEntry(f"No such {what}") from None

    def find_source_cell(self, name, notebook, assignment):
        if not self._ours(notebook, assignment):
            return self._gb.find_source_cell(name, notebook, assignment)
        return self._get(self._source_cells, name, f"source cell: {assignment}/{notebook}/{name}")

    def find_graded_cell(self, name, notebook, assignment):
        if not self._ours(notebook, assignment):
            return self._gb.find_graded_cell(name, notebook, assignment)
        return self._get(self._graded_cells, name, f"grade cell: {assignment}/{notebook}/{name}")

    def find_grade(self, grade_cell, notebook, assignment, student):
        if self._grades is None or not self._ours(notebook, assignment, student):
            return self._gb.find_grade(grade_cell, notebook, assignment, student)
        return self._get(self._grades, grade_cell, f"grade: {assignment}/{notebook}/{grade_cell} for {student}")

    def find_comment(self, solution_cell, notebook, assignment, student):
        if self._comments is None or not self._ours(notebook, assignment, student):
            return self._gb.find_comment(solution_cell, notebook, assignment, student)
        return self._get(self._comments, solution_cell, f"comment: {assignment}/{notebook}/{solution_cell} for {student}")

    def __getattr__(self, name):
        return getattr(self._gb, name)


class OverwriteCells(StockOverwriteCells):
    """nbgrader's OverwriteCells; its look-ups from `Prefetched`."""

    def preprocess(self, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.db_url = resources["nbgrader"]["db_url"]
        with Gradebook(self.db_url) as gradebook:
            self.gradebook = Prefetched(gradebook, self.notebook_id, self.assignment_id)
            nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
            if self.add_missing_cells:
                nb, resources = self.add_missing_grade_cells(nb, resources)
                nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources


class SaveAutoGrades(StockSaveAutoGrades):
    """nbgrader's SaveAutoGrades; its look-ups from `Prefetched`, one commit per notebook."""

    def preprocess(self, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.student_id = resources["nbgrader"]["student"]
        self.db_url = resources["nbgrader"]["db_url"]
        with Gradebook(self.db_url) as gradebook:
            self.gradebook = Prefetched(gradebook, self.notebook_id, self.assignment_id, self.student_id,
                                        defer_commits=True)
            nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
            gradebook.db.commit()
        return nb, resources


__all__ = ["OverwriteCells", "SaveAutoGrades", "Prefetched"]
