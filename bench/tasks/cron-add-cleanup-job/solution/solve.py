"""Reference solution: run with cwd = the task workdir."""
with open("crontab", "a") as fh:
    fh.write("30 4 * * 1-5     /opt/jobs/cleanup_tmp.sh\n")
