/* bcryptprimitives.dll for Wine 8, which lacks it: Rust's standard library (1.78 and later) takes
 * its random bytes from ProcessPrng there, so without this DLL no Rust program starts under Wine.
 * Only for running the Windows tests under Wine (scripts/check-targets); never shipped.
 * ProcessPrng fills the buffer from RtlGenRandom (advapi32's SystemFunction036), which takes a
 * ULONG length, so large requests are filled in chunks. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
