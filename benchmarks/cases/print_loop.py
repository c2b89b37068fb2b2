"""200,000 printed lines: every write is attributed to its line, so this guards that path."""
for i in range(200_000):
    print(i)
