"""nbgrader settings for every account on the course hub (the hub puts this folder on JUPYTER_CONFIG_PATH).

Students' Assignment List and the instructor's `nbgrader release_assignment / collect` read the
exchange and the course id from here; the hub passes them as COURSE_EXCHANGE and COURSE_ID.
"""

import os

c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.Exchange.root = os.environ.get("COURSE_EXCHANGE", "/srv/nbgrader/exchange")
c.CourseDirectory.course_id = os.environ.get("COURSE_ID", "stat4710-dl")
# Fetched homework lands in ~/hw1 (not ~/stat4710-dl/hw1): what the README and the lectures say.
c.Exchange.path_includes_course = False

# A submission only its author and the instructor can read. Stock nbgrader leaves it world-readable
# (folder 0777, files 0644) and relies on its unguessable name. The course's inbound/ folder is setgid
# to the instructor's group (course_setup.py exchange): a folder made in it inherits that group, so
# the submission is rebuilt in such a folder and closed to everyone else (folders 0770, files 0640).
import secrets  # noqa: E402
import shutil  # noqa: E402
import stat  # noqa: E402

from nbgrader.exchange.default.submit import ExchangeSubmit  # noqa: E402


class PrivateSubmit(ExchangeSubmit):
    def copy_files(self):
        super().copy_files()
        if not os.stat(self.inbound_path).st_mode & stat.S_ISGID:
            self.log.warning("%s is not setgid to the instructor's group: the submission stays world-readable "
                             "(run deploy/jupyterhub/course_setup.py exchange)", self.inbound_path)
            return
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        staging = os.path.join(self.inbound_path, "." + secrets.token_hex(16))
        os.mkdir(staging)                      # group: the instructor's (inherited from inbound/)
        for folder, _, files in os.walk(dest):
            target = os.path.normpath(os.path.join(staging, os.path.relpath(folder, dest)))
            os.makedirs(target, exist_ok=True)
            for name in files:
                shutil.copyfile(os.path.join(folder, name), os.path.join(target, name))
                os.chmod(os.path.join(target, name), 0o640)
        for folder, _, _ in os.walk(staging):
            os.chmod(folder, 0o770)
        shutil.rmtree(dest)
        os.rename(staging, dest)


c.ExchangeFactory.submit = PrivateSubmit
