"""Reference solution: run with cwd = the task workdir."""
n = sum(1 for line in open("app.log") if " ERROR [" in line)
open("error_count.txt", "w").write(f"{n}\n")
