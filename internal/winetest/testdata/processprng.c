/*
 * A stand-in for Windows' bcryptprimitives.dll, which Wine 8.0 lacks.
 *
 * Go programs since Go 1.22 read their random numbers from ProcessPrng in
 * bcryptprimitives.dll (Windows 10 and later have it) and stop at start-up
 * without it. The tests build this file with MinGW-w64 into the Wine
 * prefix's system32 only when Wine brings no bcryptprimitives.dll of its
 * own; Wine 9 and later do.
 *
 * ProcessPrng fills a buffer of any size from the system's generator and
 * never fails; RtlGenRandom (advapi32's SystemFunction036), which Wine has,
 * takes at most 4 GB per call.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
	while (length > 0) {
		ULONG n = length > 0x40000000 ? 0x40000000 : (ULONG)length;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		length -= n;
	}
	return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
	return TRUE;
}
