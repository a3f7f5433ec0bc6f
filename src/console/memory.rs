//! Giving freed heap memory back to the operating system.
//!
//! A large hosts.toml is parsed with spans into far more memory than the loaded config
//! keeps (500 hosts: a 94 MB peak for a few MB kept), and the first answers of a large
//! fleet's Prometheus queries are big too; glibc's allocator keeps such freed memory mapped,
//! so without this the console's resident set stays at its start-up peak for its lifetime.
//! [`give_back`] asks glibc to return it (`malloc_trim`), in every thread's arena.
//!
//! This is the crate's only `unsafe`: one foreign call, declared here.

/// Returns freed heap memory to the OS where the allocator keeps it (glibc); elsewhere
/// nothing to do.
pub fn give_back() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            /// glibc's `int malloc_trim(size_t pad)`: releases free memory at the top of
            /// the heap and whole free pages inside every arena; 1 when it released any.
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim takes no pointers and only changes the allocator's own state,
        // under its own locks; it is safe to call from any thread at any time.
        let _ = unsafe { malloc_trim(0) };
    }
}
