"""nbgrader configuration for the course (run nbgrader and `dlcourse grade` from this folder).

Authoring:  solutions/<assignment>/   (instructor versions: solutions and hidden tests)
Release:    assignments/<assignment>/ (student versions, generated, committed)
Runtime (ignored by git, safe to delete): submitted/, autograded/, feedback/, grades/, gradebook.db
"""

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "stat4710-dl"
c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
c.CourseDirectory.db_assignments = [dict(name=name, duedate=None) for name in ("hw1", "hw2", "hw3", "hw4")]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
# Deleted test cells are put back and run (stock nbgrader leaves them out and scores 0).
c.OverwriteCells.add_missing_cells = True
# Feedback never shows hidden tests.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.Execute.timeout = 60
