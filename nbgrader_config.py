"""nbgrader configuration for the course (run nbgrader and `dlcourse grade` from this folder).

Authoring:  solutions/<assignment>/   (instructor versions: solutions and hidden tests)
Release:    assignments/<assignment>/ (student versions, generated, committed)
Runtime (ignored by git, safe to delete): submitted/, autograded/, feedback/, grades/, gradebook.db
"""

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "stat4710-dl"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
# The assignments and their due dates (UTC, e.g. "2026-10-02 23:59:00 UTC"; None: no due date).
# nbgrader 0.9 keeps due dates in the gradebook: `dlcourse grade` writes these there before grading,
# where nbgrader's late penalties, formgrader and `nbgrader export` read them (by hand:
# `nbgrader db assignment add hw1 --duedate="..."`). nbgrader's own apps ignore this section.
c.DlcourseGrading.due_dates = {name: None for name in ("hw1", "hw2", "hw3", "hw4", "quiz")}
# Late submissions (timestamp.txt after the due date): "none" (no penalty) or "zero" (score 0), as nbgrader.
c.LateSubmissionPlugin.penalty_method = "none"

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Deleted test cells are put back and run (stock nbgrader leaves them out and scores 0).
c.OverwriteCells.add_missing_cells = True
# `nbgrader generate_feedback` (and formgrader's feedback button) hides hidden tests in cell sources;
# `dlcourse grade` leaves in autograded/ only the grader's verdict for test cells and redacts hidden
# lines from every other output, so tracebacks and printed cells carry none either; and feedback shows
# the student's own submitted outputs of code cells, never the grading run's (which could carry hidden
# tests in any encoding), as `dlcourse feedback` does.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "dlcourse.grading.nbgrader_hooks.StudentOwnOutputs",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.Execute.timeout = 60
# Formgrader's "Autograde" button (and `nbgrader autograde`) would run student code outside the
# sandbox, as the instructor: it runs the sandboxed, verified execution of `dlcourse grade` instead.
c.Autograde.autograde_preprocessors = [
    "dlcourse.grading.nbgrader_hooks.SandboxedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
